/** The client's CRM: contacts (profile, timeline, Ask AI), the deals board, bookings, and booking extraction. */
export {
  BookingsPage,
  ContactPage,
  ContactsPage,
  DealsPage,
  ImportProgressPage,
  ImportsPage,
  ImportWizardPage,
} from './pages.tsx'
export { ExtractBookingButton } from './ExtractBooking.tsx'
