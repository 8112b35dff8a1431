import { describe, expect, it } from 'vitest'
import { isCalendarDate } from './fields.ts'
import { phoneOfDigits, toE164 } from './phones.ts'
import { isTimeZone } from './bookings.ts'

describe('CRM value checks', () => {
  it('reads a phone with + or 00 in its own country and one without in the default country', () => {
    expect(toE164('+40 712 345 678', null)).toBe('+40712345678')
    expect(toE164('0040712345678', null)).toBe('+40712345678')
    expect(toE164('0712-345-678', 'RO')).toBe('+40712345678')
    expect(toE164('030 1234567', 'DE')).toBe('+49301234567')
  })

  it('refuses a phone without a country when there is no default, and an invalid number', () => {
    expect(() => toE164('0712345678', null)).toThrow(expect.objectContaining({ code: 'crm.phone_needs_country' }))
    expect(() => toE164('+40 1', null)).toThrow(expect.objectContaining({ code: 'crm.invalid_phone' }))
    expect(() => toE164('hello', 'RO')).toThrow(expect.objectContaining({ code: 'crm.invalid_phone' }))
  })

  it('turns WhatsApp phone digits into E.164, and a LID into nothing', () => {
    expect(phoneOfDigits('40712345678')).toBe('+40712345678')
    expect(phoneOfDigits('123456789012345@lid')).toBeNull()
    expect(phoneOfDigits(undefined)).toBeNull()
  })

  it('knows calendar dates and IANA time zones', () => {
    expect(isCalendarDate('2028-02-29')).toBe(true)
    expect(isCalendarDate('2026-02-29')).toBe(false)
    expect(isTimeZone('Europe/Bucharest')).toBe(true)
    expect(isTimeZone('America/Argentina/Buenos_Aires')).toBe(true)
    expect(isTimeZone('UTC')).toBe(true)
    expect(isTimeZone('Mars/Olympus')).toBe(false)
    expect(isTimeZone('+02:00')).toBe(false)
  })
})
