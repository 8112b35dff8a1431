import type { NodeTypeDto } from '../../../../contracts/flows.ts'
import { cx } from '../../lib/cx.ts'
import { NodeIcon } from './icons.tsx'
import { PALETTE_MIME } from './FlowCanvas.tsx'

const GROUPS: { kind: NodeTypeDto['kind']; title: string }[] = [
  { kind: 'trigger', title: 'Triggers' },
  { kind: 'logic', title: 'Logic' },
  { kind: 'action', title: 'Actions' },
]

/** The node types, grouped by kind: drag one onto the canvas, or press it to add it in view. */
export function Palette({ types, onAdd }: { types: NodeTypeDto[]; onAdd: (type: NodeTypeDto) => void }) {
  return (
    <nav aria-label="Node palette" className="space-y-4">
      {GROUPS.map(({ kind, title }) => {
        const items = types.filter((t) => t.kind === kind)
        if (items.length === 0) return null
        return (
          <section key={kind} aria-label={title}>
            <h3 className="mb-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">{title}</h3>
            <ul className="flex gap-1 overflow-x-auto md:block md:space-y-1 md:overflow-visible">
              {items.map((t) => (
                <li key={t.type} className="shrink-0">
                  <button
                    type="button"
                    draggable
                    onDragStart={(e) => {
                      e.dataTransfer.setData(PALETTE_MIME, t.type)
                      e.dataTransfer.effectAllowed = 'copy'
                    }}
                    onClick={() => onAdd(t)}
                    title={t.description}
                    aria-label={`Add ${t.label}`}
                    className={cx(
                      'flex w-full cursor-grab items-center gap-2 rounded-md border border-slate-200 bg-white px-2 py-1.5',
                      'text-left text-sm text-slate-800 hover:border-indigo-300 hover:bg-indigo-50',
                    )}
                  >
                    <NodeIcon name={t.icon} className="size-4 shrink-0 text-slate-600" />
                    <span className="truncate">{t.label}</span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        )
      })}
    </nav>
  )
}
