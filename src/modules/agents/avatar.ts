import { AGENT_AVATAR_TYPES } from '../../../contracts/agents.ts'

export type AvatarType = (typeof AGENT_AVATAR_TYPES)[number]

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const startsWith = (bytes: Uint8Array, sig: number[], at = 0) =>
  bytes.length >= at + sig.length && sig.every((b, i) => bytes[at + i] === b)
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0))

/**
 * What picture the bytes are, from their signature alone (never the Content-Type a client sent): PNG (signature and
 * an IHDR chunk first), JPEG (SOI and a marker), WebP (a RIFF container of type WEBP); null for anything else.
 */
export const sniffAvatar = (bytes: Uint8Array): AvatarType | null => {
  if (startsWith(bytes, PNG) && startsWith(bytes, ascii('IHDR'), 12)) return 'image/png'
  if (startsWith(bytes, [0xff, 0xd8, 0xff]) && bytes.length > 3) return 'image/jpeg'
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8) && startsWith(bytes, ascii('VP8'), 12))
    return 'image/webp'
  return null
}
