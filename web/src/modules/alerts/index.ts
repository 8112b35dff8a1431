/** Live alerts to a workspace's admins: the bell (with the live stream and its toasts) and the alert centre. */
export { AlertBell } from './AlertBell.tsx'
export { AlertsPage } from './AlertsPage.tsx'
