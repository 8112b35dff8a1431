import { describe, expect, it } from 'vitest'
import { sniffAvatar } from './avatar.ts'

const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
  Buffer.from('IHDR'),
  Buffer.alloc(17),
])

describe('sniffAvatar', () => {
  it('reads PNG, JPEG and WebP from their signatures', () => {
    expect(sniffAvatar(png)).toBe('image/png')
    expect(sniffAvatar(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]))).toBe('image/jpeg')
    expect(sniffAvatar(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]))).toBe(
      'image/webp',
    )
  })

  it('refuses everything else, including near misses', () => {
    expect(sniffAvatar(Buffer.alloc(0))).toBeNull()
    expect(sniffAvatar(Buffer.from('GIF89a\x01\x00\x01\x00'))).toBeNull()
    expect(sniffAvatar(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull()
    expect(sniffAvatar(png.subarray(0, 8))).toBeNull()
    expect(sniffAvatar(Buffer.from([0xff, 0xd8, 0xff]))).toBeNull()
    expect(sniffAvatar(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt ')]))).toBeNull()
  })
})
