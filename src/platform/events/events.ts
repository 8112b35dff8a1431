import type { Handle } from '../db/database.ts'

/**
 * In-process domain events between modules, run inside the emitting transaction: a handler receives the emitter's
 * `Handle` (its open transaction), so what it writes commits or rolls back with the change that raised the event,
 * and a handler that throws fails the emitter. Handlers run one after another, in the order they were registered.
 *
 * A module declares the events it emits as a map of name → payload (e.g. `{ 'workspace.created': {…} }`) and is
 * given `Emits<ItsEvents>`; a module that reacts is given `Listens<…>` or, more simply, the container registers its
 * handler with `events.on(…)`. The container creates one bus for the whole process.
 */
export type Handler<P> = (handle: Handle, payload: P) => Promise<void>

export type Emits<E> = {
  emit<K extends keyof E & string>(handle: Handle, name: K, payload: E[K]): Promise<void>
}
export type Listens<E> = {
  on<K extends keyof E & string>(name: K, handler: Handler<E[K]>): void
}
export type EventBus<E> = Emits<E> & Listens<E>

export const createEventBus = <E>(): EventBus<E> => {
  const handlers = new Map<string, Handler<never>[]>()
  return {
    on(name, handler) {
      handlers.set(name, [...(handlers.get(name) ?? []), handler as Handler<never>])
    },
    async emit(handle, name, payload) {
      for (const handler of handlers.get(name) ?? []) await (handler as Handler<typeof payload>)(handle, payload)
    },
  }
}
