/**
 * Node icons as inline SVG (24×24, stroked with currentColor), keyed by a node type's `icon` name. The machine that
 * renders the app may have no emoji font, so every icon is drawn; an unknown name gets the generic box.
 */
const PATHS: Record<string, string[]> = {
  play: ['M7 5v14l11-7z'],
  manual: ['M7 5v14l11-7z'],
  webhook: ['M9 7a3 3 0 1 1 4.5 2.6L10 16', 'M6 13.5A3 3 0 1 0 9 17h7', 'M15 11.5a3 3 0 1 1 1 5.5'],
  clock: ['M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z', 'M12 7v5l3 2'],
  schedule: ['M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z', 'M12 7v5l3 2'],
  calendar: ['M4 6h16v14H4z', 'M4 10h16', 'M8 3v4', 'M16 3v4'],
  phone: ['M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2'],
  'called-by-flow': ['M4 12h10', 'M10 8l4 4-4 4', 'M18 5v14'],
  branch: [
    'M6 3v12',
    'M18 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6z',
    'M6 21a3 3 0 1 0 0-6 3 3 0 0 0 0 6z',
    'M18 9a9 9 0 0 1-9 9',
  ],
  condition: ['M12 3l9 9-9 9-9-9z'],
  if: ['M12 3l9 9-9 9-9-9z'],
  switch: ['M4 12h6', 'M10 12l8-6', 'M10 12h8', 'M10 12l8 6'],
  loop: ['M17 2l4 4-4 4', 'M3 11V9a3 3 0 0 1 3-3h15', 'M7 22l-4-4 4-4', 'M21 13v2a3 3 0 0 1-3 3H3'],
  repeat: ['M17 2l4 4-4 4', 'M3 11V9a3 3 0 0 1 3-3h15', 'M7 22l-4-4 4-4', 'M21 13v2a3 3 0 0 1-3 3H3'],
  merge: ['M6 3v6a6 6 0 0 0 6 6h6', 'M18 3v6a6 6 0 0 1-3 5', 'M15 12l3 3-3 3'],
  set: ['M4 20h4L19 9l-4-4L4 16z', 'M13 7l4 4'],
  edit: ['M4 20h4L19 9l-4-4L4 16z', 'M13 7l4 4'],
  transform: ['M4 7h13', 'M14 4l3 3-3 3', 'M20 17H7', 'M10 14l-3 3 3 3'],
  delay: ['M7 3h10', 'M7 21h10', 'M8 3c0 5 8 5 8 9s-8 4-8 9', 'M16 3c0 5-8 5-8 9s8 4 8 9'],
  hourglass: ['M7 3h10', 'M7 21h10', 'M8 3c0 5 8 5 8 9s-8 4-8 9', 'M16 3c0 5-8 5-8 9s8 4 8 9'],
  'wait-until': ['M4 6h16v14H4z', 'M4 10h16', 'M8 3v4', 'M16 3v4', 'M12 13v3h3'],
  stop: ['M6 6h12v12H6z'],
  error: ['M12 3l10 18H2z', 'M12 10v4', 'M12 17v.5'],
  'stop-with-error': ['M12 3l10 18H2z', 'M12 10v4', 'M12 17v.5'],
  subflow: ['M3 5h7v6H3z', 'M14 13h7v6h-7z', 'M10 8h4v8'],
  flow: ['M3 5h7v6H3z', 'M14 13h7v6h-7z', 'M10 8h4v8'],
  ai: ['M12 3l2 5 5 2-5 2-2 5-2-5-5-2 5-2z', 'M19 15l.8 2.2L22 18l-2.2.8L19 21l-.8-2.2L16 18l2.2-.8z'],
  sparkles: ['M12 3l2 5 5 2-5 2-2 5-2-5-5-2 5-2z', 'M19 15l.8 2.2L22 18l-2.2.8L19 21l-.8-2.2L16 18l2.2-.8z'],
  bot: ['M5 8h14v11H5z', 'M12 4v4', 'M9 13v1', 'M15 13v1', 'M9 17h6'],
  book: ['M4 5a2 2 0 0 1 2-2h13v16H6a2 2 0 0 0-2 2z', 'M4 21V5', 'M9 7h6'],
  http: ['M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z', 'M3 12h18', 'M12 3c3 3 3 15 0 18', 'M12 3c-3 3-3 15 0 18'],
  globe: ['M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z', 'M3 12h18', 'M12 3c3 3 3 15 0 18', 'M12 3c-3 3-3 15 0 18'],
  mail: ['M3 5h18v14H3z', 'M3 6l9 7 9-7'],
  email: ['M3 5h18v14H3z', 'M3 6l9 7 9-7'],
  'send-email': ['M3 5h18v14H3z', 'M3 6l9 7 9-7'],
  reply: ['M10 5L3 12l7 7', 'M3 12h11a7 7 0 0 1 7 7'],
  respond: ['M10 5L3 12l7 7', 'M3 12h11a7 7 0 0 1 7 7'],
  'respond-to-webhook': ['M10 5L3 12l7 7', 'M3 12h11a7 7 0 0 1 7 7'],
  database: ['M4 6c0-4 16-4 16 0v12c0 4-16 4-16 0z', 'M4 6c0 4 16 4 16 0', 'M4 12c0 4 16 4 16 0'],
  message: ['M4 4h16v12H8l-4 4z'],
  whatsapp: [
    'M3.5 20.5l1.3-4.2A8.5 8.5 0 1 1 8 19.3z',
    'M9 8.5c0 3.5 3 6.5 6.5 6.5l1-1.5-2-1-1 1c-1.2-.5-2.5-1.8-3-3l1-1-1-2z',
  ],
  user: ['M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z', 'M4 21a8 8 0 0 1 16 0'],
  filter: ['M3 4h18l-7 9v7l-4-2v-5z'],
  code: ['M8 7l-5 5 5 5', 'M16 7l5 5-5 5'],
  'bar-chart': ['M4 20h16', 'M7 16v-5', 'M12 16V6', 'M17 16v-8'],
}
const GENERIC = ['M4 4h16v16H4z', 'M4 12h16', 'M12 4v16']

/** The icon for a node type's `icon` name (also tried without a `core.`-style namespace), else a generic box. */
export function NodeIcon({ name, className = 'size-5' }: { name: string; className?: string }) {
  const key = name.toLowerCase()
  const paths = PATHS[key] ?? PATHS[key.split(/[.:/]/).pop() ?? ''] ?? GENERIC
  return (
    <svg
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      className={className}
    >
      {paths.map((d) => (
        <path key={d} d={d} />
      ))}
    </svg>
  )
}
