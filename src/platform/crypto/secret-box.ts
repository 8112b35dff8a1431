import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const VERSION = 'v1'

/**
 * Secrets at rest (provider keys, OAuth tokens, channel credentials): AES-256-GCM with a key derived from
 * SECRET_KEY, and the owner (e.g. `workspace:ws_…:provider:openai`) as associated data, so a ciphertext
 * copied to another row or tenant does not decrypt. The version prefix leaves room for key rotation.
 */
export const createSecretBox = (secretKey: string) => {
  const key = Buffer.from(hkdfSync('sha256', secretKey, 'camarad', `secrets:${VERSION}`, 32))
  return {
    seal(plaintext: string, owner: string) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(owner))
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return [
        VERSION,
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        ct.toString('base64url'),
      ].join('.')
    },
    open(sealed: string, owner: string) {
      const [version, iv, tag, ct] = sealed.split('.')
      if (version !== VERSION || !iv || !tag || !ct) throw new Error('unknown secret format')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(owner))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8')
    },
  }
}
export type SecretBox = ReturnType<typeof createSecretBox>
