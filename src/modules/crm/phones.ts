import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max'
import { crmErrors } from './crm.errors.ts'

/** Whether libphonenumber knows the country (ISO 3166 alpha-2), for the client's default country. */
export const isKnownCountry = (country: string) => isSupportedCountry(country)

/**
 * A phone as typed, in E.164 (`+40712345678`). One with `+` (or `00`) carries its country; one without is read in the
 * client's default country, and refused when the client has none — a guess (say, always Romania) would store wrong
 * numbers for every other client.
 */
export const toE164 = (raw: string, defaultCountry: string | null): string => {
  const typed = raw.trim()
  const international = typed.startsWith('+') ? typed : typed.startsWith('00') ? `+${typed.slice(2)}` : null
  if (!international && !defaultCountry) throw crmErrors.phone_needs_country({ phone: typed })
  const parsed = international
    ? parsePhoneNumberFromString(international)
    : parsePhoneNumberFromString(typed, defaultCountry as CountryCode)
  if (!parsed?.isValid()) throw crmErrors.invalid_phone({ phone: typed })
  return parsed.number
}

/** The E.164 phone of WhatsApp phone digits (a wa id or a provider's phone), or null when they are not a valid number. */
export const phoneOfDigits = (digits: string | null | undefined): string | null => {
  if (!digits || !/^\d{5,20}$/.test(digits)) return null
  const parsed = parsePhoneNumberFromString(`+${digits}`)
  return parsed?.isValid() ? parsed.number : null
}
