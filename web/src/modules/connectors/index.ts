/** A client's Google connection (Ads and GA4): connect, pick what to read, and the reports. */
export { ClientConnectorsRedirect, ConnectorsPage } from './ConnectorsPage.tsx'
