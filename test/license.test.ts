import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

/** Agencies run and resell Camarad: the licence that allows it and the way to report a vulnerability ship with the code. */
describe('licence and security policy', () => {
  it('is licensed under Apache-2.0, in LICENSE and in package.json', () => {
    expect(readFileSync('LICENSE', 'utf8')).toContain(
      'Apache License\n                           Version 2.0, January 2004',
    )
    expect(JSON.parse(readFileSync('package.json', 'utf8')).license).toBe('Apache-2.0')
  })

  // ADR 0005: Baileys (QR numbers) depends on libsignal, GPL-3.0, loaded only by the QR driver. Any other copyleft
  // package in the tree is a decision to take and record, not something to find later.
  it('has libsignal as its only GPL or AGPL dependency', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, { license?: string }>
    }
    const copyleft = Object.entries(lock.packages)
      // A choice of licences is taken on its permissive side: jszip (mammoth's, ADR 0008) is "(MIT OR GPL-3.0-or-later)".
      .filter(
        ([, p]) =>
          !/\b(MIT|Apache-2\.0|BSD[-\w.]*|ISC) OR\b|\bOR (MIT|Apache-2\.0|BSD[-\w.]*|ISC)\b/.test(p.license ?? ''),
      )
      .filter(([, p]) => /\bA?GPL\b/i.test(p.license ?? '') && !/LGPL/i.test(p.license ?? ''))
      .map(([path, p]) => `${path.replace(/^.*node_modules\//, '')} ${p.license}`)
    expect(copyleft).toEqual(['libsignal GPL-3.0'])
  })

  it('says how to report a vulnerability and what is in scope', () => {
    const policy = readFileSync('SECURITY.md', 'utf8')
    expect(policy).toMatch(/## Reporting a vulnerability/)
    expect(policy).toMatch(/## Scope/)
  })
})
