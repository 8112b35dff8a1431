/** The signed-in user's profile, password and activity. */
export { ProfilePage } from './ProfilePage.tsx'
