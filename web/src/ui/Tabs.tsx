import { useId, useRef } from 'react'
import type { KeyboardEvent, ReactNode } from 'react'
import { cx } from '../lib/cx.ts'

export type TabItem<K extends string> = { key: K; label: ReactNode }

type Props<K extends string> = {
  label: string
  tabs: TabItem<K>[]
  current: K
  onSelect: (key: K) => void
  children: ReactNode
}

/**
 * WAI-ARIA tabs: one tab stop for the list, arrow keys (and Home/End) move and select, the panel follows.
 * Only the current panel is rendered.
 */
export function Tabs<K extends string>({ label, tabs, current, onSelect, children }: Props<K>) {
  const id = useId()
  const refs = useRef(new Map<K, HTMLButtonElement>())
  const tabId = (k: K) => `${id}-tab-${k}`
  const onKeyDown = (e: KeyboardEvent) => {
    const i = tabs.findIndex((t) => t.key === current)
    const next =
      e.key === 'ArrowRight'
        ? i + 1
        : e.key === 'ArrowLeft'
          ? i - 1
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? tabs.length - 1
              : null
    if (next === null) return
    e.preventDefault()
    const tab = tabs[(next + tabs.length) % tabs.length]!
    onSelect(tab.key)
    refs.current.get(tab.key)?.focus()
  }
  return (
    <div>
      <div
        role="tablist"
        aria-label={label}
        onKeyDown={onKeyDown}
        className="mb-6 flex gap-1 overflow-x-auto border-b border-slate-200"
      >
        {tabs.map((t) => {
          const selected = t.key === current
          return (
            <button
              key={t.key}
              ref={(el) => {
                if (el) refs.current.set(t.key, el)
                else refs.current.delete(t.key)
              }}
              type="button"
              role="tab"
              id={tabId(t.key)}
              aria-selected={selected}
              aria-controls={`${id}-panel`}
              tabIndex={selected ? 0 : -1}
              onClick={() => onSelect(t.key)}
              className={cx(
                '-mb-px shrink-0 border-b-2 px-3 py-2 text-sm font-medium whitespace-nowrap',
                selected
                  ? 'border-indigo-600 text-indigo-800'
                  : 'border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900',
              )}
            >
              {t.label}
            </button>
          )
        })}
      </div>
      <div
        role="tabpanel"
        id={`${id}-panel`}
        aria-labelledby={tabId(current)}
        tabIndex={0}
        className="focus-visible:outline-offset-4"
      >
        {children}
      </div>
    </div>
  )
}
