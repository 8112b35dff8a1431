import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import type { ArchivedFilter } from './api.ts'

type Props = {
  search: string
  onSearch: (v: string) => void
  archived: ArchivedFilter
  onArchived: (v: ArchivedFilter) => void
}

export function ClientFilters({ search, onSearch, archived, onArchived }: Props) {
  return (
    <div role="search" className="mb-4 grid gap-3 sm:grid-cols-[1fr_14rem]">
      <Field label="Search">
        {(p) => (
          <Input
            {...p}
            type="search"
            placeholder="Name or website"
            value={search}
            onChange={(e) => onSearch(e.target.value)}
            maxLength={100}
          />
        )}
      </Field>
      <Field label="Show">
        {(p) => (
          <Select {...p} value={archived} onChange={(e) => onArchived(e.target.value as ArchivedFilter)}>
            <option value="exclude">Active only</option>
            <option value="only">Archived only</option>
            <option value="include">Active and archived</option>
          </Select>
        )}
      </Field>
    </div>
  )
}
