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
  | 'alt'
  | 'atk'
  | 'eml'
  | 'fl'
  | 'fv'
  | 'fc'
  | 'ch'
  | 'ic'
  | 'th'
  | 'im'
  | 'in'
  // crm: contacts and their phones, emails and WhatsApp identities, companies, fields, pipelines, stages, deals and
  // their stage changes, bookings, notes, tasks
  | 'ct'
  | 'cph'
  | 'cem'
  | 'cwa'
  | 'co'
  | 'fld'
  | 'pip'
  | 'stg'
  | 'deal'
  | 'dsc'
  | 'bk'
  | 'cnt'
  | 'tsk'
  // crm: booking extractions (the audit record of a draft)
  | 'cex'
  // crm: saved views of the contacts list
  | 'cvw'
  // crm: campaigns and opt-outs
  | 'cmp'
  | 'opt'
  // connectors: a client's Google connection
  | 'conn'
  // knowledge: documents
  | 'kd'
  // ops: status page incidents and their updates
  | 'sinc'
  | 'supd'

/** Random, prefixed, URL-safe ids (`ws_…`, `cl_…`): never sequential, readable in logs. */
export const newId = (prefix: IdPrefix) => `${prefix}_${randomBytes(16).toString('base64url')}`

export { ID_PATTERN } from '../../../contracts/common.ts'
