/** The workspace's own provider keys and the models they add. */
export { ProvidersPage } from './ProvidersPage.tsx'
