/** API tokens. */
export { TokensPage } from './TokensPage.tsx'
