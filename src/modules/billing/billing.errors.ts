import { AppError, badRequest } from '../../platform/http/errors.ts'

export type CsvProblem = { line: number; message: string }

export const invalidCsv = (problems: CsvProblem[]) =>
  badRequest(
    'billing.invalid_csv',
    `The CSV has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}; nothing was imported. First: line ${problems[0]?.line}: ${problems[0]?.message}`,
    { errors: problems.slice(0, 50) },
  )

export const invalidDay = (day: string, why: string) => badRequest('billing.invalid_date', `${day} ${why}.`)

export const insufficientData = (reasons: string[], details: Record<string, unknown>) =>
  new AppError(409, 'billing.insufficient_data', `Not enough data to calibrate: ${reasons.join('; ')}.`, {
    details: { reasons, ...details },
  })
