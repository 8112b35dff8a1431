import type { Kysely } from 'kysely'
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

  addNote: async (scope: ClientScope, contactId: string, body: string) => {
    await contactRow(db, scope.clientId, contactId)
    return noteDto(
      await db
        .insertInto('crmNotes')
        .values({
          id: newId('cnt'),
          workspaceId: scope.workspaceId,
          clientId: scope.clientId,
          contactId,
          body,
          authorId: scope.userId,
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    )
  },

  tasks: async (scope: ClientScope, contactId: string, page: PageRequest) => {
    await contactRow(db, scope.clientId, contactId)
    const r = await newestFirstPage(
      db.selectFrom('crmTasks').selectAll().where('clientId', '=', scope.clientId).where('contactId', '=', contactId),
      page,
    )
    return { items: r.items.map((t) => taskDto(t as TaskRow)), nextCursor: r.nextCursor }
  },

  addTask: async (scope: ClientScope, contactId: string, body: TaskCreate) => {
    checkDue(body.dueDate)
    await contactRow(db, scope.clientId, contactId)
    return taskDto(
      await db
        .insertInto('crmTasks')
        .values({
          id: newId('tsk'),
          workspaceId: scope.workspaceId,
          clientId: scope.clientId,
          contactId,
          title: body.title,
          dueDate: body.dueDate ?? null,
          createdBy: scope.userId,
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    )
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
