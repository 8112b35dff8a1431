/**
 * Every audit action (`noun.past_tense`) with what a person reads for it. The server records only these (AuditAction
 * in contracts/audit.ts is built from this list), so a new action needs its label here first. Plain data, shared by
 * the server and the web app (no zod).
 */
export const AUDIT_ACTION_LABELS = {
  'auth.login': 'Signed in',
  'auth.login_failed': 'Failed sign-in',
  'auth.logout': 'Signed out',
  'auth.signup': 'Account created',
  'auth.password_changed': 'Password changed',
  'auth.verification_sent': 'Verification email sent',
  'auth.email_verified': 'Email verified',
  'auth.password_reset_requested': 'Password reset requested',
  'auth.password_reset': 'Password reset',
  'auth.google_linked': 'Google account linked',
  'token.created': 'API token created',
  'token.revoked': 'API token revoked',
  'workspace.created': 'Workspace created',
  'member.role_changed': 'Member role changed',
  'member.removed': 'Member removed',
  'member.joined': 'Member joined',
  'invitation.created': 'Invitation sent',
  'invitation.revoked': 'Invitation revoked',
  'client.created': 'Client created',
  'client.archived': 'Client archived',
  'credits.dispute_opened': 'Charge disputed',
  'credits.dispute_note_added': 'Dispute note added',
  'credits.dispute_withdrawn': 'Dispute withdrawn',
  'credits.dispute_approved': 'Dispute approved',
  'credits.dispute_rejected': 'Dispute rejected',
  'credits.limits_changed': 'Credit limits changed',
  'credits.cap_changed': 'Credit cap changed',
  'credits.operator_grant': 'Credits granted by the operator',
  'billing.alert': 'Billing alert',
  'billing.rate_calibrated': 'Rates calibrated',
  'plan.assigned': 'Plan assigned',
  'subscription.changed': 'Subscription changed',
  'subscription.drift_repaired': 'Subscription repaired from Stripe',
  'subscription.payment_failed': 'Payment failed',
  'subscription.charge_refunded': 'Charge refunded',
  'subscription.clawback_short': 'Refund clawback short of credits',
  'credits.purchased': 'Credits purchased',
  'credits.clawed_back': 'Credits clawed back',
  'flow.created': 'Flow created',
  'flow.imported': 'Flow imported',
  'flow.published': 'Flow published',
  'flow.paused': 'Flow paused',
  'flow.resumed': 'Flow resumed',
  'flow.archived': 'Flow archived',
  'flow.restored': 'Flow restored',
  'flow.webhook_rotated': 'Flow webhook URL rotated',
  'flow.run_cancelled': 'Flow run cancelled',
  'flow.credential_added': 'Flow credential added',
  'flow.credential_removed': 'Flow credential removed',
  'channel.created': 'WhatsApp number added',
  'channel.logged_out': 'WhatsApp number logged out',
  'channel.qr_requested': 'WhatsApp QR code requested',
  'channel.backfill_requested': 'WhatsApp history requested',
  'channel.disconnected': 'WhatsApp number disconnected',
  'inbox.sends_paused': 'WhatsApp sends paused after repeated failures',
  'inbox.thread_assigned': 'WhatsApp conversation assigned',
  'inbox.thread_labelled': 'WhatsApp conversation labels changed',
  'channel.limits_changed': 'WhatsApp number sending limits changed',
  'inbox.message_replayed': 'Failed WhatsApp message sent again',
} as const satisfies Record<string, string>

export type AuditAction = keyof typeof AUDIT_ACTION_LABELS
export const AUDIT_ACTIONS = Object.keys(AUDIT_ACTION_LABELS) as [AuditAction, ...AuditAction[]]

/** The label of an action as stored (a string from the API); an unknown one reads as itself. */
export const auditActionLabel = (action: string) =>
  Object.hasOwn(AUDIT_ACTION_LABELS, action) ? AUDIT_ACTION_LABELS[action as AuditAction] : action
