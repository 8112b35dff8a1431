import { useAuthStatus } from '../../app/session.ts'
import { formatDate } from '../../lib/format.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { ActivityList } from './ActivityList.tsx'
import { PasswordForm } from './PasswordForm.tsx'
import { ProfileForm } from './ProfileForm.tsx'

export function ProfilePage() {
  useTitle('Profile')
  const status = useAuthStatus()
  return (
    <>
      <PageHeader title="Profile" description="Your personal details. They apply to every workspace you belong to." />
      <QueryState query={status}>
        {({ user }) =>
          user && (
            <div className="space-y-6">
              <Card
                title="Your details"
                description={`Signed in as ${user.email} · member since ${formatDate(user.createdAt)}`}
              >
                <ProfileForm key={user.name} initialName={user.name} />
              </Card>
              <Card title="Password">
                {user.hasPassword ? (
                  <PasswordForm />
                ) : (
                  <p className="text-sm text-slate-600">
                    You sign in with Google, so there is no Camarad password to change.
                  </p>
                )}
              </Card>
              <Card
                title="Sign-in activity"
                description={
                  'Where and when your account was used, failed attempts included. Only you can see this. ' +
                  'Something you do not recognise? Change your password.'
                }
              >
                <ActivityList />
              </Card>
            </div>
          )
        }
      </QueryState>
    </>
  )
}
