/** Public pages: the chat demo and the landing page's search. */
export { DemoPage } from './DemoPage.tsx'
export { LandingSearch } from './LandingSearch.tsx'
