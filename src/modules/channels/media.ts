import { createDecipheriv, createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import { readBytes, type GraphClient } from './cloud/graph.ts'
import type { ChannelsTables } from './channels.tables.ts'
import { tokenOwner } from './channels.service.ts'
import { MediaFailure, SendFailure, type MediaSource } from './driver.ts'

/** Where WhatsApp keeps QR messages' encrypted media (Baileys' `DEF_MEDIA_HOST`). */
export const WHATSAPP_MEDIA_ORIGIN = 'https://mmg.whatsapp.net'
const TIMEOUT_MS = 60_000
/** WhatsApp's media files end with the first 10 bytes of an HMAC-SHA256 over the IV and the ciphertext. */
const MAC_BYTES = 10

type QrSource = Extract<MediaSource, { provider: 'qr' }>
/** The HKDF info each media type's keys are derived with (WhatsApp's names; a sticker uses an image's keys). */
const KEY_INFO: Record<QrSource['mediaType'], string> = {
  image: 'WhatsApp Image Keys',
  sticker: 'WhatsApp Image Keys',
  video: 'WhatsApp Video Keys',
  ptv: 'WhatsApp Video Keys',
  audio: 'WhatsApp Audio Keys',
  document: 'WhatsApp Document Keys',
}

/** The IV, AES key and MAC key of a media file: its 32-byte media key expanded with HKDF-SHA256 to 112 bytes. */
export const mediaKeys = (mediaKey: Buffer, mediaType: QrSource['mediaType']) => {
  const expanded = Buffer.from(hkdfSync('sha256', mediaKey, Buffer.alloc(0), KEY_INFO[mediaType], 112))
  return { iv: expanded.subarray(0, 16), cipherKey: expanded.subarray(16, 48), macKey: expanded.subarray(48, 80) }
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest()
const corrupt = (what: string) =>
  new MediaFailure('failed', 'whatsapp.media_corrupt', `The media file is not what WhatsApp said it is (${what}).`)

/**
 * Opens a WhatsApp media file (AES-256-CBC ciphertext, then the MAC): the MAC and both hashes are checked before a
 * byte is trusted. Throws `MediaFailure` (`failed`) for anything that does not check out.
 */
export const openMediaFile = (file: Buffer, source: QrSource) => {
  if (source.fileEncSha256 && !sha256(file).equals(Buffer.from(source.fileEncSha256, 'base64')))
    throw corrupt('encrypted hash')
  if (file.length < MAC_BYTES + 16 || (file.length - MAC_BYTES) % 16 !== 0) throw corrupt('length')
  const { iv, cipherKey, macKey } = mediaKeys(Buffer.from(source.mediaKey, 'base64'), source.mediaType)
  const cipher = file.subarray(0, file.length - MAC_BYTES)
  const mac = createHmac('sha256', macKey).update(iv).update(cipher).digest().subarray(0, MAC_BYTES)
  if (!timingSafeEqual(mac, file.subarray(file.length - MAC_BYTES))) throw corrupt('MAC')
  let plain: Buffer
  try {
    const aes = createDecipheriv('aes-256-cbc', cipherKey, iv)
    plain = Buffer.concat([aes.update(cipher), aes.final()])
  } catch {
    throw corrupt('padding')
  }
  if (source.fileSha256 && !sha256(plain).equals(Buffer.from(source.fileSha256, 'base64'))) throw corrupt('hash')
  return plain
}

/** Graph's failure as a media failure: what may pass later is retried, the rest ends the download. */
const fromSendFailure = (err: unknown) => {
  if (!(err instanceof SendFailure)) throw err
  return new MediaFailure(err.kind === 'retry_later' ? 'retry_later' : 'failed', err.code, err.message)
}

/**
 * Fetches a received media file's bytes, at most `maxBytes` (`MediaFailure` `too_large` past it, before the download
 * when the provider declares the size): a Cloud number through the Graph API with its token; a QR number from
 * WhatsApp's media servers, decrypted and checked against the message's MAC and hashes (no session needed, so any
 * worker can do it). `qrOrigin` is WhatsApp's media host (a test's loopback stand-in otherwise).
 */
export const createMediaFetcher = ({
  db,
  box,
  graph,
  qrOrigin = WHATSAPP_MEDIA_ORIGIN,
  fetch: fetchImpl = fetch,
}: {
  db: Kysely<ChannelsTables>
  box: SecretBox
  graph: GraphClient
  qrOrigin?: string
  fetch?: typeof fetch
}) => {
  const origin = new URL(qrOrigin).origin

  const cloud = async (channelId: string, mediaId: string, maxBytes: number) => {
    const channel = await db
      .selectFrom('channels')
      .select(['cloudToken'])
      .where('id', '=', channelId)
      .where('kind', '=', 'cloud')
      .executeTakeFirst()
    if (!channel?.cloudToken)
      throw new MediaFailure('failed', 'channels.cannot_fetch', 'This number cannot fetch media.')
    const token = box.open(channel.cloudToken, tokenOwner(channelId))
    const info = await graph.mediaInfo(mediaId, token).catch((err: unknown) => {
      throw fromSendFailure(err)
    })
    if (info.bytes !== null && info.bytes > maxBytes)
      throw new MediaFailure(
        'too_large',
        'inbox.media_too_large',
        'The file is larger than Camarad stores.',
        info.bytes,
      )
    const { data, truncated } = await graph.download(info.url, token, maxBytes).catch((err: unknown) => {
      throw fromSendFailure(err)
    })
    if (truncated)
      throw new MediaFailure('too_large', 'inbox.media_too_large', 'The file is larger than Camarad stores.')
    if (info.sha256 && sha256(data).toString('hex') !== info.sha256) throw corrupt('sha256')
    return { data, mime: info.mime }
  }

  const qr = async (source: QrSource, maxBytes: number) => {
    const url = new URL(source.directPath, origin)
    if (!source.directPath.startsWith('/') || url.origin !== origin)
      throw new MediaFailure('failed', 'whatsapp.media_invalid', 'The message names no WhatsApp media file.')
    const signal = AbortSignal.timeout(TIMEOUT_MS)
    let res: Response
    try {
      res = await fetchImpl(url, { headers: { origin: 'https://web.whatsapp.com' }, signal })
    } catch (err) {
      const cause = signal.aborted ? 'timeout' : ((err as { cause?: { code?: string } }).cause?.code ?? 'network')
      throw new MediaFailure('retry_later', 'whatsapp.network', `Could not download the media (${cause}).`)
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {})
      // WhatsApp keeps media a limited time: after that only the phone could upload it again.
      if (res.status === 404 || res.status === 410)
        throw new MediaFailure('failed', 'whatsapp.media_expired', 'WhatsApp no longer has this file.')
      throw new MediaFailure(
        res.status === 429 || res.status >= 500 ? 'retry_later' : 'failed',
        `whatsapp.http_${res.status}`,
        `WhatsApp's media server answered ${res.status}.`,
      )
    }
    // The ciphertext pads to the next 16 bytes and carries the MAC: a file of `maxBytes` fits in this much.
    const { data, truncated } = await readBytes(res, maxBytes + 16 + MAC_BYTES)
    if (truncated)
      throw new MediaFailure('too_large', 'inbox.media_too_large', 'The file is larger than Camarad stores.')
    const plain = openMediaFile(data, source)
    if (plain.length > maxBytes)
      throw new MediaFailure('too_large', 'inbox.media_too_large', 'The file is larger than Camarad stores.')
    return { data: plain, mime: null }
  }

  return {
    /** The bytes of a received media file and, when the provider says, its type. Throws `MediaFailure`. */
    fetch: (
      channelId: string,
      source: MediaSource,
      maxBytes: number,
    ): Promise<{ data: Buffer; mime: string | null }> =>
      source.provider === 'cloud' ? cloud(channelId, source.id, maxBytes) : qr(source, maxBytes),
  }
}
export type MediaFetcher = ReturnType<typeof createMediaFetcher>
