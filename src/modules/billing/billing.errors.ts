import { defineErrors } from '../../platform/http/errors.ts'

export type CsvProblem = { line: number; message: string }

export const billingErrors = defineErrors('billing', {
  invalid_csv: {
    status: 400,
    when: 'An imported provider cost CSV has problems; nothing was imported (the first 50 are in `details.errors`).',
    message: ({ problems }: { problems: CsvProblem[] }) =>
      `The CSV has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}; nothing was imported. ` +
      `First: line ${problems[0]?.line}: ${problems[0]?.message}`,
    details: ({ problems }) => ({ errors: problems.slice(0, 50) }),
  },
  invalid_date: {
    status: 400,
    when: 'A reconciliation day is not a YYYY-MM-DD day, or is in the future.',
    message: (p: { day: string; why: string }) => `${p.day} ${p.why}.`,
  },
  insufficient_data: {
    status: 409,
    when: 'Calibration has too few calls or too little coverage to propose rates (the reasons are listed).',
    message: (p: { reasons: string[]; details: Record<string, unknown> }) =>
      `Not enough data to calibrate: ${p.reasons.join('; ')}.`,
    details: (p) => ({ reasons: p.reasons, ...p.details }),
  },
})
