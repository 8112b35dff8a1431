import { randomBytes } from 'node:crypto'

export type IdPrefix =
  | 'usr'
  | 'ses'
  | 'tok'
  | 'ws'
  | 'inv'
  | 'cl'
  | 'aud'
  | 'ag'
  | 'conv'
  | 'msg'
  | 'run'
  | 'call'
  | 'mtg'
  | 'turn'
  | 'hold'
  | 'ent'
  | 'price'
  | 'rate'
  | 'dsp'
  | 'dsn'
  | 'rec'
  | 'imp'
  | 'alr'
  | 'atk'
  | 'eml'

/** Random, prefixed, URL-safe ids (`ws_…`, `cl_…`): never sequential, readable in logs. */
export const newId = (prefix: IdPrefix) => `${prefix}_${randomBytes(16).toString('base64url')}`

export { ID_PATTERN } from '../../../contracts/common.ts'
