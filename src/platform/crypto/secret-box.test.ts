import { describe, expect, it } from 'vitest'
import { createSecretBox } from './secret-box.ts'

describe('secret box', () => {
  const box = createSecretBox('test-secret-key-0123456789-abcdefghijklmnop')
  it('round-trips and never contains the plaintext', () => {
    const sealed = box.seal('sk-live-abc123', 'workspace:ws_1:provider:openai')
    expect(sealed).not.toContain('sk-live')
    expect(box.open(sealed, 'workspace:ws_1:provider:openai')).toBe('sk-live-abc123')
  })
  it('is bound to its owner: another row or tenant cannot open it', () => {
    const sealed = box.seal('sk-live-abc123', 'workspace:ws_1:provider:openai')
    expect(() => box.open(sealed, 'workspace:ws_2:provider:openai')).toThrow()
  })
  it('needs the same SECRET_KEY and detects tampering', () => {
    const sealed = box.seal('secret', 'o')
    expect(() => createSecretBox('another-secret-key-0123456789-abcdefghijk').open(sealed, 'o')).toThrow()
    const parts = sealed.split('.')
    parts[3] = Buffer.from('tampered').toString('base64url')
    expect(() => box.open(parts.join('.'), 'o')).toThrow()
  })
  it('uses a fresh IV each time', () => {
    expect(box.seal('same', 'o')).not.toBe(box.seal('same', 'o'))
  })
})
