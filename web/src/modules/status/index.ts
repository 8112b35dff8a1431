/** The public status page. */
export { StatusPage } from './StatusPage.tsx'
