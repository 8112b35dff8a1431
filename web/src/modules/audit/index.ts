/** The workspace's audit log. */
export { AuditPage } from './AuditPage.tsx'
