import type {
  AnyMessageContent,
  AuthenticationCreds,
  AuthenticationState,
  BaileysEventMap,
  Contact,
  MiscMessageGenerationOptions,
  SignalKeyStore,
  SocketConfig,
  WAMessage,
  WAMessageKey,
} from 'baileys'
import { createKeyCache } from './key-cache.ts'

/** Baileys' module, loaded on demand by a session's first start. */
export type Baileys = typeof import('baileys')

/** What this driver passes to Baileys' `makeWASocket` (a subset of its config). */
export type QrSocketConfig = Pick<
  SocketConfig,
  'logger' | 'printQRInTerminal' | 'syncFullHistory' | 'shouldSyncHistoryMessage' | 'markOnlineOnConnect' | 'getMessage'
> & { auth: AuthenticationState }

/** The part of Baileys' socket this driver uses: production passes `makeWASocket`, tests a stand-in. */
export type QrSocket = {
  ev: { on<E extends keyof BaileysEventMap>(event: E, listener: (arg: BaileysEventMap[E]) => void): void }
  readonly user: Contact | undefined
  end(error: Error | undefined): Promise<void>
  logout(msg?: string): Promise<void>
  requestPairingCode(phoneNumber: string): Promise<string>
  sendMessage(
    jid: string,
    content: AnyMessageContent,
    options?: MiscMessageGenerationOptions,
  ): Promise<WAMessage | undefined>
  /** Asks the phone for older messages of one chat: they arrive as `messaging-history.set` (on-demand sync). */
  fetchMessageHistory(count: number, oldestMsgKey: WAMessageKey, oldestMsgTimestamp: number): Promise<string>
}
export type QrSocketFactory = (config: QrSocketConfig) => QrSocket

/** Baileys' own socket factory, loaded on demand: a server without QR numbers never loads Baileys (ADR 0005 §1). */
export const loadBaileysSocketFactory = async (): Promise<QrSocketFactory> => (await import('baileys')).makeWASocket

const noop = () => undefined
/** Baileys logs message contents and keys at debug level: none of it reaches our logs. */
const silent: SocketConfig['logger'] = {
  level: 'silent',
  child: () => silent,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
}

/**
 * A socket's config. Its keys sit behind Baileys' `makeCacheableSignalKeyStore`, which sets its cache and then awaits
 * the store's `set` before resolving: a write Baileys awaited is committed (ADR 0005 §4). The cache is the socket's
 * own (`createKeyCache`), so a new socket reads the database again.
 */
export const socketConfig = (
  lib: Baileys,
  {
    creds,
    keys,
    getMessage,
  }: { creds: AuthenticationCreds; keys: SignalKeyStore; getMessage: SocketConfig['getMessage'] },
): QrSocketConfig => ({
  auth: { creds, keys: lib.makeCacheableSignalKeyStore(keys, silent, createKeyCache()) },
  logger: silent,
  printQRInTerminal: false,
  syncFullHistory: false,
  // Recent and initial history is accepted (Baileys needs it to settle); years of chats are not pulled in.
  shouldSyncHistoryMessage: (n) => n.syncType !== lib.proto.HistorySync.HistorySyncType.FULL,
  markOnlineOnConnect: false,
  getMessage,
})
