import type { Kysely, Selectable } from 'kysely'
import type { CrmNoteDto, TaskCreate, TaskDto, TaskPatch } from '../../../contracts/crm.ts'
import { newId } from '../../platform/db/ids.ts'
import { newestFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import { contactRow } from './contacts.ts'
import { crmErrors } from './crm.errors.ts'
import { isCalendarDate } from './fields.ts'
import type { CrmTables, NoteRow, TaskRow } from './crm.tables.ts'

export const noteDto = (n: NoteRow): CrmNoteDto => ({
  id: n.id,
  contactId: n.contactId,
  body: n.body,
  authorId: n.authorId,
  createdAt: n.createdAt.toISOString(),
})

export const taskDto = (t: TaskRow): TaskDto => ({
  id: t.id,
  contactId: t.contactId,
  title: t.title,
  dueDate: t.dueDate,
  done: t.doneAt !== null,
  doneAt: t.doneAt?.toISOString() ?? null,
  createdBy: t.createdBy,
  createdAt: t.createdAt.toISOString(),
})

const checkDue = (due: string | null | undefined) => {
  if (due && !isCalendarDate(due)) throw crmErrors.invalid_date({ date: due })
}

/** A flow step's key on what it adds: unique per client, so the step tried again finds its first row. */
type Keyed = { idempotencyKey?: string }

/** The row an earlier call under this key added (the insert met it, or waited for it to commit). */
const keyed = async <T extends 'crmNotes' | 'crmTasks'>(
  db: Kysely<CrmTables>,
  table: T,
  clientId: string,
  key: string,
) =>
  (await db
    .selectFrom(table as 'crmNotes')
    .selectAll()
    .where('clientId', '=', clientId)
    .where('idempotencyKey', '=', key)
    .executeTakeFirstOrThrow()) as unknown as Selectable<CrmTables[T]>

/** Notes and tasks on a contact (never deleted; a task is done or not). */
export const createActivities = ({ db }: { db: Kysely<CrmTables> }) => ({
  taskClientOf: async (id: string) =>
    (await db.selectFrom('crmTasks').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,

  notes: async (scope: ClientScope, contactId: string, page: PageRequest) => {
    await contactRow(db, scope.clientId, contactId)
    const r = await newestFirstPage(
      db.selectFrom('crmNotes').selectAll().where('clientId', '=', scope.clientId).where('contactId', '=', contactId),
      page,
    )
    return { items: r.items.map((n) => noteDto(n as NoteRow)), nextCursor: r.nextCursor }
  },

  /** With `idempotencyKey` (a flow step's), a second call answers the note the first one added. */
  addNote: async (scope: ClientScope, contactId: string, body: string, opts: Keyed = {}) => {
    await contactRow(db, scope.clientId, contactId)
    const inserted = await db
      .insertInto('crmNotes')
      .values({
        id: newId('cnt'),
        workspaceId: scope.workspaceId,
        clientId: scope.clientId,
        contactId,
        body,
        authorId: scope.userId,
        idempotencyKey: opts.idempotencyKey ?? null,
      })
      .onConflict((oc) =>
        oc.columns(['clientId', 'idempotencyKey']).where('idempotencyKey', 'is not', null).doNothing(),
      )
      .returningAll()
      .executeTakeFirst()
    return noteDto(inserted ?? (await keyed(db, 'crmNotes', scope.clientId, opts.idempotencyKey!)))
  },

  tasks: async (scope: ClientScope, contactId: string, page: PageRequest) => {
    await contactRow(db, scope.clientId, contactId)
    const r = await newestFirstPage(
      db.selectFrom('crmTasks').selectAll().where('clientId', '=', scope.clientId).where('contactId', '=', contactId),
      page,
    )
    return { items: r.items.map((t) => taskDto(t as TaskRow)), nextCursor: r.nextCursor }
  },

  /** With `idempotencyKey` (a flow step's), a second call answers the task the first one added. */
  addTask: async (scope: ClientScope, contactId: string, body: TaskCreate, opts: Keyed = {}) => {
    checkDue(body.dueDate)
    await contactRow(db, scope.clientId, contactId)
    const inserted = await db
      .insertInto('crmTasks')
      .values({
        id: newId('tsk'),
        workspaceId: scope.workspaceId,
        clientId: scope.clientId,
        contactId,
        title: body.title,
        dueDate: body.dueDate ?? null,
        createdBy: scope.userId,
        idempotencyKey: opts.idempotencyKey ?? null,
      })
      .onConflict((oc) =>
        oc.columns(['clientId', 'idempotencyKey']).where('idempotencyKey', 'is not', null).doNothing(),
      )
      .returningAll()
      .executeTakeFirst()
    return taskDto(inserted ?? (await keyed(db, 'crmTasks', scope.clientId, opts.idempotencyKey!)))
  },

  updateTask: async (scope: ClientScope, id: string, body: TaskPatch) => {
    checkDue(body.dueDate)
    const row = await db
      .updateTable('crmTasks')
      .set((eb) => ({
        ...(body.title !== undefined ? { title: body.title } : {}),
        ...(body.dueDate !== undefined ? { dueDate: body.dueDate } : {}),
        // Done keeps the first time it was done; undone clears it.
        ...(body.done !== undefined ? { doneAt: body.done ? eb.fn.coalesce('doneAt', eb.val(new Date())) : null } : {}),
        updatedAt: new Date(),
      }))
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst()
    if (!row) throw crmErrors.task_not_found()
    return taskDto(row)
  },
})
export type Activities = ReturnType<typeof createActivities>
