import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** A secret handed to a user once (session, API token, invitation link); only its hash is stored. */
export const newSecretToken = (prefix = '') => prefix + randomBytes(32).toString('base64url')

/** SHA-256 is right for 256-bit random tokens: nothing to brute-force, and lookups stay one indexed read. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url')

export const hmac = (key: string, value: string) => createHmac('sha256', key).update(value).digest('base64url')

export const safeEqual = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
