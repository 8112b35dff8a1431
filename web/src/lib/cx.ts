/** Joins class names, skipping the false and empty ones: long Tailwind lists read in groups, conditions inline. */
export const cx = (...parts: (string | false | null | undefined)[]) => parts.filter(Boolean).join(' ')
