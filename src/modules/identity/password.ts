import { hash, verify } from '@node-rs/argon2'
import { identityErrors } from './identity.errors.ts'

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const PARAMS = {
  algorithm: 2 /* Argon2id (a const enum, not importable under verbatimModuleSyntax) */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const

export const hashPassword = (password: string) => hash(password, PARAMS)
export const verifyPassword = async (stored: string, password: string) => {
  try {
    return await verify(stored, password)
  } catch {
    return false
  }
}

// The most common passwords of public breach corpora that pass the length rule; refused outright.
const COMMON = new Set([
  '1234567890',
  '12345678910',
  '0123456789',
  '1111111111',
  '0000000000',
  'qwertyuiop',
  'password12',
  'password123',
  'password1234',
  'passw0rd123',
  'iloveyou12',
  'qwerty1234',
  'qwerty12345',
  '1q2w3e4r5t',
  '1qaz2wsx3edc',
  'abcdefghij',
  'abc1234567',
  'letmein123',
  'welcome123',
  'admin12345',
  'administrator',
  'football12',
  'baseball12',
  'sunshine12',
  'princess12',
  'dragon1234',
  'monkey1234',
  'trustno1trustno1',
  'zaq12wsxcde',
  'asdfghjkl1',
  'changeme123',
  'qazwsxedc123',
])

/** Refuses passwords that are long enough but trivially guessable. */
export const assertAcceptablePassword = (password: string, context: { email: string; name?: string }) => {
  const lower = password.toLowerCase()
  const local = context.email.split('@')[0] ?? ''
  if (
    COMMON.has(lower) ||
    new Set(lower).size < 4 ||
    (local.length >= 4 && lower.includes(local)) ||
    lower === context.name?.toLowerCase()
  )
    throw identityErrors.weak_password()
}
