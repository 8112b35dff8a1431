/** The client's CRM: contacts (profile, timeline, Ask AI), the deals board, bookings, booking extraction, campaigns. */
export {
  BookingsPage,
  CampaignPage,
  CampaignsPage,
  ContactPage,
  ContactsPage,
  DealsPage,
  NewCampaignPage,
  ImportProgressPage,
  ImportsPage,
  ImportWizardPage,
} from './pages.tsx'
export { ExtractBookingButton } from './ExtractBooking.tsx'
