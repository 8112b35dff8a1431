import { createContext } from 'react'
import type { CredentialDto } from '../../../../contracts/flows.ts'
import type { JsonSchema } from './schema.ts'

export type Ctx = {
  root: JsonSchema
  disabled: boolean
  issues: Map<string, string>
  credentials: CredentialDto[] | null
  /** The client's WhatsApp numbers, for a `channelId` field (a WhatsApp trigger's number picker). */
  channels: NumberOption[] | null
}
export type NumberOption = { id: string; name: string; phone: string | null }
/** What every field of one config form shares: the root schema (for `$ref`), read-only, issues, the vault. */
export const FormContext = createContext<Ctx>({
  root: {},
  disabled: false,
  issues: new Map(),
  credentials: null,
  channels: null,
})

export type FieldProps = {
  schema: JsonSchema
  value: unknown
  onChange: (v: unknown) => void
  path: (string | number)[]
}
export type A11y = { id: string; 'aria-invalid': boolean | undefined; 'aria-describedby': string | undefined }
