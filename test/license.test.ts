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

  it('says how to report a vulnerability and what is in scope', () => {
    const policy = readFileSync('SECURITY.md', 'utf8')
    expect(policy).toMatch(/## Reporting a vulnerability/)
    expect(policy).toMatch(/## Scope/)
  })
})
