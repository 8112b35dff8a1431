import { describe, expect, it } from 'vitest'
import { createAddressPolicy } from './address-policy.ts'

describe('address policy', () => {
  const policy = createAddressPolicy()

  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '::1', // loopback
    '10.0.0.5',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    'fc00::1',
    'fd12:3456::1', // private
    '169.254.1.1',
    'fe80::1',
    'fe80::1%eth0', // link-local
    '0.0.0.0',
    '::', // unspecified
    '100.64.0.1',
    '100.127.255.255', // CGNAT
    '224.0.0.1',
    '239.255.255.250',
    'ff02::1',
    '240.0.0.1',
    '255.255.255.255', // multicast, reserved, broadcast
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.5',
    '::ffff:169.254.169.254', // IPv4-mapped
    '64:ff9b::10.0.0.5',
    '::127.0.0.1',
    '2002:7f00:1::',
    '2001:db8::1', // NAT64, IPv4-compatible, 6to4, docs
    '169.254.169.254',
    'fd00:ec2::254',
    '100.100.100.200',
    '168.63.129.16', // metadata
    'not-an-ip',
    '',
  ])('refuses %s', (address) => {
    expect(policy.isAllowed(address)).toBe(false)
  })

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
  ])('allows public %s', (address) => {
    expect(policy.isAllowed(address)).toBe(true)
  })

  it('opens exactly the ranges the operator lists', () => {
    const opened = createAddressPolicy(['10.1.0.0/16', 'fd00:1::/32', '192.168.1.7'])

    expect([opened.isAllowed('10.1.2.3'), opened.isAllowed('fd00:1::5'), opened.isAllowed('192.168.1.7')]).toEqual([
      true,
      true,
      true,
    ])
    expect([opened.isAllowed('10.2.0.1'), opened.isAllowed('192.168.1.8'), opened.isAllowed('127.0.0.1')]).toEqual([
      false,
      false,
      false,
    ])
  })

  it('keeps metadata closed even inside an opened range', () => {
    const opened = createAddressPolicy(['169.254.0.0/16', 'fd00::/8', '100.64.0.0/10', '0.0.0.0/0'])

    expect(opened.isAllowed('169.254.10.10')).toBe(true)
    expect(
      ['169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '::ffff:169.254.169.254'].map(opened.isAllowed),
    ).toEqual([false, false, false, false])
  })

  it.each(['10.0.0.0/33', 'example.com/8', '10.0.0.0/', '10.0.0.0/8/1', 'fd00::/129'])(
    'rejects the malformed allowPrivate entry %s',
    (entry) => {
      expect(() => createAddressPolicy([entry])).toThrow(/allowPrivate/)
    },
  )
})
