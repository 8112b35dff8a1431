export { BookingsPage } from './BookingsPage.tsx'
export { ContactPage } from './ContactPage.tsx'
export { ContactsPage } from './ContactsPage.tsx'
export { DealsPage } from './DealsPage.tsx'
