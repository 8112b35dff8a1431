/** The installation's legal and trust pages (Markdown the operator edits, `content/legal/`), as the footer lists them. */
export const LEGAL_LINKS = [
  { to: '/terms', label: 'Terms' },
  { to: '/privacy', label: 'Privacy' },
  { to: '/cookies', label: 'Cookies' },
  { to: '/refunds', label: 'Refunds' },
  { to: '/dpa', label: 'DPA' },
  { to: '/subprocessors', label: 'Sub-processors' },
  { to: '/legal', label: 'Legal notice' },
] as const
