/** The operator console (platform staff only). */
export { OperatorPage } from './OperatorPage.tsx'
