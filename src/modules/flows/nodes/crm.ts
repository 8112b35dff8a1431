import { z } from 'zod'
import type { Handle } from '../../../platform/db/database.ts'
import type { ClientScope } from '../../../platform/http/request-context.ts'
import { defineNode, exprOr, fatal, type NodeType } from '../registry.ts'
import { common, type NodeSpec } from './specs.ts'

/**
 * The CRM in flows (issue 14 §10): triggers on what the CRM tells the event bus (a lead imported, a contact created, a
 * deal entering a stage, a booking saved) and actions that write through the CRM's public API (`crm.module.ts`, wired
 * in the container), never its tables. `engine/crm.ts` starts the runs in the event's transaction.
 */

export const CRM_TRIGGERS = {
  leadImported: 'crm.lead-imported',
  contactCreated: 'crm.contact-created',
  dealStageChanged: 'crm.deal-stage-changed',
  bookingSaved: 'crm.booking-saved',
} as const
export type CrmTriggerType = (typeof CRM_TRIGGERS)[keyof typeof CRM_TRIGGERS]

const Id = (prefix: string, what: string) =>
  z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9_-]{1,60}$`), `Pick one of the client’s ${what}.`)

const trigger = <C extends z.ZodType>(type: CrmTriggerType, label: string, description: string, config: C) =>
  ({
    type,
    kind: 'trigger',
    label,
    description,
    icon: 'crm',
    config,
    inputs: [],
    outputs: ['out'],
    effect: 'none',
  }) satisfies NodeSpec

export const leadImportedSpec = trigger(
  CRM_TRIGGERS.leadImported,
  'Lead imported',
  'Starts the flow once for each new lead a CRM import creates (not for duplicates or invalid rows), optionally only ' +
    'for one source. Input: importId, source, row, contactId, dealId.',
  z.strictObject({
    source: z.string().trim().min(1).max(100).optional().meta({
      title: 'Source',
      description: 'Only leads of imports with this source (exactly as the import names it).',
    }),
  }),
)
export const contactCreatedSpec = trigger(
  CRM_TRIGGERS.contactCreated,
  'Contact created',
  'Starts the flow once for each new CRM contact: added by a person, imported, or from a first WhatsApp message. ' +
    'Input: contactId, source (api, import or inbox).',
  z.strictObject({
    source: z.enum(['api', 'import', 'inbox']).optional().meta({
      title: 'Created by',
      description: 'Only contacts created this way.',
    }),
  }),
)
export const dealStageChangedSpec = trigger(
  CRM_TRIGGERS.dealStageChanged,
  'Deal stage changed',
  'Starts the flow each time a deal enters a stage (a new deal enters its first one), optionally only one stage. ' +
    'Input: dealId, contactId, fromStageId, toStageId, status.',
  z.strictObject({
    stageId: Id('stg', 'pipeline stages').optional().meta({ title: 'Stage', description: 'Only deals entering it.' }),
  }),
)
export const bookingSavedSpec = trigger(
  CRM_TRIGGERS.bookingSaved,
  'Booking saved',
  'Starts the flow each time a booking is created or changed, optionally only for new bookings or one status. ' +
    'Input: bookingId, contactId, created, status.',
  z.strictObject({
    createdOnly: z.boolean().default(false).meta({ title: 'Only new bookings' }),
    status: z.enum(['tentative', 'confirmed', 'cancelled', 'done']).optional().meta({ title: 'Status' }),
  }),
)
export const CRM_TRIGGER_SPECS = [leadImportedSpec, contactCreatedSpec, dealStageChangedSpec, bookingSavedSpec]

const ContactRef = exprOr(Id('ct', 'contacts'))
  .optional()
  .meta({
    title: 'Contact',
    description: 'The contact; without it, the one that started the run ($trigger.contactId).',
    default: { $expr: '$trigger.contactId' },
  })

export const upsertContactSpec = {
  type: 'crm.upsert-contact',
  kind: 'action',
  label: 'Create or update contact',
  description:
    'Finds the client’s contact with this phone (E.164, or in the client’s default country) or email and adds the ' +
    'tags; creates the contact when none has them. Output: contactId, created.',
  icon: 'crm',
  config: z.strictObject({
    name: exprOr(z.string().trim().min(1).max(200)).meta({ description: 'Used when the contact is created.' }),
    phone: exprOr(z.string().trim().min(1).max(40)).optional(),
    email: exprOr(z.string().trim().min(1).max(254)).optional(),
    tags: exprOr(z.array(z.string().trim().min(1).max(32)).max(20)).optional(),
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'external',
} satisfies NodeSpec

export const moveDealSpec = {
  type: 'crm.move-deal',
  kind: 'action',
  label: 'Move deal',
  description: 'Moves a deal to a stage of its pipeline (a lost stage needs a reason). Output: the deal.',
  icon: 'crm',
  config: z.strictObject({
    dealId: exprOr(Id('deal', 'deals'))
      .optional()
      .meta({
        title: 'Deal',
        description: 'Without it, the deal that started the run ($trigger.dealId).',
        default: { $expr: '$trigger.dealId' },
      }),
    stageId: Id('stg', 'pipeline stages'),
    lostReason: exprOr(z.string().trim().min(1).max(500)).optional(),
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'external',
} satisfies NodeSpec

export const addNoteSpec = {
  type: 'crm.add-note',
  kind: 'action',
  label: 'Add note to contact',
  description:
    'Adds a note to a contact’s timeline; the step tried again (after a crash) finds its note, never a second. ' +
    'Output: noteId.',
  icon: 'crm',
  config: z.strictObject({ contactId: ContactRef, body: exprOr(z.string().trim().min(1).max(4000)), ...common }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'external',
} satisfies NodeSpec

export const addTaskSpec = {
  type: 'crm.add-task',
  kind: 'action',
  label: 'Add task for contact',
  description:
    'Adds a task (optionally due on a date) to a contact; the step tried again finds its task, never a second. ' +
    'Output: taskId.',
  icon: 'crm',
  config: z.strictObject({
    contactId: ContactRef,
    title: exprOr(z.string().trim().min(1).max(200)),
    dueDate: exprOr(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')).optional(),
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'external',
} satisfies NodeSpec

export const extractBookingSpec = {
  type: 'crm.extract-booking',
  kind: 'action',
  label: 'Extract booking',
  description:
    'Reads a WhatsApp conversation of the client and drafts a booking by AI, as "Extract booking" in the inbox does ' +
    '(metered; saves nothing but the record of the extraction). Output: the draft — extractionId, threadId, ' +
    'contactId, fields (date, time, timeZone, location, items, amount, notes: each { value, sourceMessageId }), ' +
    'messageIds, demo.',
  icon: 'crm',
  config: z.strictObject({
    threadId: exprOr(Id('th', 'conversations'))
      .optional()
      .meta({
        title: 'Conversation',
        description: 'Without it, the conversation that started the run ($trigger.thread.id).',
        default: { $expr: '$trigger.thread.id' },
      }),
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'external',
} satisfies NodeSpec

export const CRM_SPECS = [
  ...CRM_TRIGGER_SPECS,
  upsertContactSpec,
  moveDealSpec,
  addNoteSpec,
  addTaskSpec,
  extractBookingSpec,
] as NodeSpec[]

/** What the CRM offers flow steps (its public API, acting as the run's publisher). */
export type CrmNodeDeps = {
  stillAdmin(scope: ClientScope): Promise<boolean>
  upsertContact(
    scope: ClientScope,
    c: { name: string; phone?: string; email?: string; tags?: string[] },
  ): Promise<{ contactId: string; created: boolean }>
  moveDeal(scope: ClientScope, dealId: string, stageId: string, lostReason?: string): Promise<unknown>
  /** With the step's idempotency key: the step tried again answers the note or task its first attempt added. */
  addNote(
    scope: ClientScope,
    contactId: string,
    body: string,
    opts: { idempotencyKey: string },
  ): Promise<{ id: string }>
  addTask(
    scope: ClientScope,
    contactId: string,
    task: { title: string; dueDate?: string },
    opts: { idempotencyKey: string },
  ): Promise<{ id: string }>
  /** The inbox's "Extract booking" on a conversation of the scope's client (else 404 `crm.thread_not_found`). */
  extractBooking(scope: ClientScope, threadId: string, step: ExtractStep): Promise<unknown>
}

/** A flow step's side of a metered extraction: its key, and its checkpoint committed with the usage record. */
export type ExtractStep = {
  idempotencyKey: string
  finalAttempt: boolean
  within: (trx: Handle, draft: unknown, credits: bigint) => Promise<void>
}

const fromTrigger = async (
  given: string | undefined,
  evaluate: (expr: string) => Promise<unknown>,
  expr: string,
  code: string,
  what: string,
) => {
  const id = given ?? (await evaluate(expr))
  if (typeof id !== 'string' || !id) throw fatal(code, `No ${what}: the run was not started by one; set it.`)
  return id
}

export const crmNodes = (deps: CrmNodeDeps): NodeType[] => [
  ...CRM_TRIGGER_SPECS.map((spec) =>
    defineNode({
      ...(spec as NodeSpec),
      execute: async ({ input, scope }) => {
        // Runs act as the version's publisher; one who lost the client's admin role starts nothing more.
        if (!(await deps.stillAdmin({ ...scope, role: 'admin' })))
          throw fatal(
            'flows.publisher_gone',
            'The person who published this flow is no longer an admin of its client. An admin must publish it again.',
          )
        return { output: input }
      },
    }),
  ),
  defineNode({
    ...upsertContactSpec,
    execute: async ({ config, scope }) => {
      if (!config.phone && !config.email) throw fatal('flows.crm_no_key', 'Give the contact a phone or an email.')
      return { output: await deps.upsertContact(scope, config) }
    },
  }),
  defineNode({
    ...moveDealSpec,
    execute: async ({ config, scope, evaluate }) => {
      const dealId = await fromTrigger(config.dealId, evaluate, '$trigger.dealId', 'flows.crm_no_deal', 'deal')
      return { output: await deps.moveDeal(scope, dealId, config.stageId, config.lostReason) }
    },
  }),
  defineNode({
    ...addNoteSpec,
    execute: async ({ config, scope, evaluate, idempotencyKey }) => {
      const contactId = await fromTrigger(
        config.contactId,
        evaluate,
        '$trigger.contactId',
        'flows.crm_no_contact',
        'contact',
      )
      return { output: { noteId: (await deps.addNote(scope, contactId, config.body, { idempotencyKey })).id } }
    },
  }),
  defineNode({
    ...addTaskSpec,
    execute: async ({ config, scope, evaluate, idempotencyKey }) => {
      const contactId = await fromTrigger(
        config.contactId,
        evaluate,
        '$trigger.contactId',
        'flows.crm_no_contact',
        'contact',
      )
      const task = await deps.addTask(
        scope,
        contactId,
        { title: config.title, ...(config.dueDate ? { dueDate: config.dueDate } : {}) },
        { idempotencyKey },
      )
      return { output: { taskId: task.id } }
    },
  }),
  defineNode({
    ...extractBookingSpec,
    // The draft commits with the step's checkpoint in the usage record's transaction (as the AI step's answer): a
    // completed step is never called again, and a step re-run after a crash settles on its first hold.
    execute: async ({ config, scope, evaluate, idempotencyKey, finalAttempt, checkpoint }) => {
      const threadId = await fromTrigger(
        config.threadId,
        evaluate,
        '$trigger.thread.id',
        'flows.crm_no_thread',
        'conversation',
      )
      const output = await deps.extractBooking({ ...scope, userId: scope.actingUserId }, threadId, {
        idempotencyKey,
        finalAttempt,
        within: (trx, draft, credits) => checkpoint(trx, { output: draft, credits }),
      })
      return { output, checkpointed: true }
    },
  }),
]
