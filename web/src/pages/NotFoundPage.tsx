import { Link } from 'react-router'
import { useTitle } from '../lib/use-title.ts'

export function NotFoundPage() {
  useTitle('Page not found')
  return (
    <div className="mx-auto max-w-xl px-6 py-24 text-center">
      <p className="text-sm font-semibold text-indigo-700">404</p>
      <h1 className="mt-2 text-3xl font-bold tracking-tight text-slate-900">Page not found</h1>
      <p className="mt-3 text-slate-600">The page you are looking for does not exist or has moved.</p>
      <Link to="/" className="mt-6 inline-block font-medium text-indigo-700 hover:underline">
        Go back home
      </Link>
    </div>
  )
}
