import { Link } from 'react-router'
import type { UserDto } from '../../../contracts/identity.ts'
import { errorMessage } from '../lib/api.ts'
import { Button } from '../ui/Button.tsx'
import { useSignOut } from './session.ts'

/** Sidebar footer: who is signed in (links to the profile) and Sign out. */
export function UserMenu({ user }: { user: UserDto }) {
  const signOut = useSignOut()
  return (
    <div className="space-y-3">
      <Link to="/app/settings/profile" className="block rounded-md px-2 py-1.5 hover:bg-slate-100" title="Your profile">
        <span className="block truncate text-sm font-medium text-slate-900">{user.name}</span>
        <span className="block truncate text-xs text-slate-600">{user.email}</span>
      </Link>
      <Button variant="secondary" className="w-full" pending={signOut.isPending} onClick={() => signOut.mutate()}>
        Sign out
      </Button>
      {signOut.isError && (
        <p role="alert" className="text-xs text-red-700">
          {errorMessage(signOut.error)}
        </p>
      )}
    </div>
  )
}
