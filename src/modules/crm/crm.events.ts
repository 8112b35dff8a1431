/**
 * What the CRM tells other modules (flows' triggers, later), on the event bus inside the writing transaction: a
 * handler's writes commit with the change, and a handler that throws fails it.
 */
export type CrmEvents = {
  /** A contact was created: by a person (`api`) or from a WhatsApp message of an unknown identity (`inbox`). */
  'crm.contact-created': {
    workspaceId: string
    clientId: string
    contactId: string
    source: 'api' | 'inbox' | 'import'
  }
  /** A lead import created a contact and its deal (one event per new lead, in the batch that created it). */
  'crm.lead-imported': {
    workspaceId: string
    clientId: string
    importId: string
    /** The import's source, as the importer named it (a fair, a website…). */
    source: string
    row: number
    contactId: string
    dealId: string
  }
  /** A deal entered a stage (`fromStageId` null: the deal was just created in it). */
  'crm.deal-stage-changed': {
    workspaceId: string
    clientId: string
    dealId: string
    contactId: string
    /** The stage history's row: one per stage entered. */
    changeId: string
    fromStageId: string | null
    toStageId: string
    status: 'open' | 'won' | 'lost'
  }
  /** A booking was created or changed. */
  'crm.booking-saved': {
    workspaceId: string
    clientId: string
    bookingId: string
    contactId: string
    created: boolean
    status: 'tentative' | 'confirmed' | 'cancelled' | 'done'
  }
}
