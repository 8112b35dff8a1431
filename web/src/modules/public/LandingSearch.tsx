import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { useId, useState } from 'react'
import type { KeyboardEvent } from 'react'
import { useNavigate } from 'react-router'
import { errorMessage } from '../../lib/api.ts'
import { useDebounced } from '../../lib/use-debounced.ts'
import { SEARCH_MIN_CHARS, hitHref, publicSearch } from './api.ts'
import type { SearchHit } from './api.ts'

/**
 * "Search agents and prompts": a combobox over the built-in agents and their starter prompts. Arrow keys
 * move through the results, Enter opens one (an agent leads to sign-up, a prompt to the demo), Escape closes.
 */
export function LandingSearch() {
  const id = useId()
  const navigate = useNavigate()
  const [text, setText] = useState('')
  const [open, setOpen] = useState(false)
  const [active, setActive] = useState(-1)
  const q = useDebounced(text.trim(), 250)
  const enabled = q.length >= SEARCH_MIN_CHARS
  const search = useQuery({
    queryKey: ['public-search', q],
    queryFn: ({ signal }) => publicSearch(q, signal),
    enabled,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  })
  const hits = enabled ? (search.data ?? []) : []
  const shown = open && text.trim().length >= SEARCH_MIN_CHARS
  const listId = `${id}-results`
  const optionId = (i: number) => `${id}-hit-${i}`

  const go = (hit: SearchHit) => {
    setOpen(false)
    navigate(hitHref(hit))
  }
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      setOpen(true)
      if (hits.length === 0) return
      const step = e.key === 'ArrowDown' ? 1 : -1
      setActive((i) => (i + step + hits.length) % hits.length)
    } else if (e.key === 'Enter') {
      const hit = hits[active] ?? (hits.length === 1 ? hits[0] : undefined)
      if (shown && hit) {
        e.preventDefault()
        go(hit)
      }
    } else if (e.key === 'Escape') {
      setOpen(false)
      setActive(-1)
    }
  }
  const status =
    !enabled || (search.isFetching && hits.length === 0)
      ? 'Searching…'
      : search.isError
        ? `Search failed: ${errorMessage(search.error)}`
        : hits.length === 0
          ? 'No agent or prompt matches.'
          : `${hits.length} ${hits.length === 1 ? 'result' : 'results'}; use the arrow keys and Enter.`

  return (
    <div role="search" className="relative mx-auto mt-8 max-w-xl text-left">
      <label htmlFor={`${id}-input`} className="mb-1 block text-sm font-medium text-slate-800">
        Search agents and prompts
      </label>
      <input
        id={`${id}-input`}
        type="search"
        role="combobox"
        aria-expanded={shown && hits.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={shown && hits[active] ? optionId(active) : undefined}
        autoComplete="off"
        placeholder="e.g. budget, SEO, newsletter"
        value={text}
        maxLength={100}
        onChange={(e) => {
          setText(e.target.value)
          setOpen(true)
          setActive(-1)
        }}
        onKeyDown={onKeyDown}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        className="block w-full rounded-md border border-slate-300 bg-white px-4 py-3 text-base text-slate-900 shadow-sm placeholder:text-slate-400"
      />
      <p role="status" className="sr-only">
        {shown ? status : ''}
      </p>
      <ul
        id={listId}
        role="listbox"
        aria-label="Search results"
        hidden={!shown || hits.length === 0}
        className="absolute z-10 mt-1 max-h-80 w-full overflow-y-auto rounded-md border border-slate-200 bg-white py-1 shadow-lg"
      >
        {hits.map((hit, i) => (
          <li
            key={hit.id}
            id={optionId(i)}
            role="option"
            aria-selected={i === active}
            onMouseDown={(e) => e.preventDefault()}
            onMouseEnter={() => setActive(i)}
            onClick={() => go(hit)}
            className={`cursor-pointer px-4 py-2 ${i === active ? 'bg-indigo-50' : ''}`}
          >
            <span className="block text-sm font-medium text-slate-900">{hit.title}</span>
            <span className="block truncate text-xs text-slate-600">
              {hit.type === 'agent' ? 'Agent · ' : 'Prompt for '}
              {hit.subtitle}
            </span>
          </li>
        ))}
      </ul>
      {shown && hits.length === 0 && (
        <p
          aria-hidden="true"
          className="absolute z-10 mt-1 w-full rounded-md border border-slate-200 bg-white px-4 py-2 text-sm text-slate-600 shadow-lg"
        >
          {status}
        </p>
      )}
    </div>
  )
}
