import { describe, expect, it } from 'vitest'
import { ipKey, isProxyRange } from './client-ip.ts'

describe('ipKey', () => {
  it('keys an IPv4 address as itself', () => expect(ipKey('203.0.113.7')).toBe('203.0.113.7'))
  it('keys every IPv6 address of one /64 alike', () => {
    expect(ipKey('2001:db8:1:2::1')).toBe(ipKey('2001:db8:1:2:ffff:ffff:ffff:fffe'))
    expect(ipKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64')
  })
  it('keys IPv6 addresses of two /64s apart', () => expect(ipKey('2001:db8:1:2::1')).not.toBe(ipKey('2001:db8:1:3::1')))
  it('keys an IPv4-mapped IPv6 address as the IPv4 address', () =>
    expect(ipKey('::ffff:203.0.113.7')).toBe('203.0.113.7'))
  it('keys something that is no address as itself', () => expect(ipKey('unknown')).toBe('unknown'))
})

describe('isProxyRange', () => {
  it('accepts addresses, CIDRs and proxy-addr names', () => {
    for (const r of ['10.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1', 'loopback', 'uniquelocal'])
      expect(isProxyRange(r), r).toBe(true)
  })
  it('refuses anything else', () => {
    for (const r of ['true', '*', '10.0.0.0/33', 'proxy.example.com']) expect(isProxyRange(r), r).toBe(false)
  })
})
