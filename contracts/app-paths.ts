/** Pages of the web app the API points people to (an error's `upgradeUrl`). Plain data, shared with the web app. */
export const BILLING_PATH = '/app/settings/billing'
/** Where an agency gets more credits: usage, caps, top-ups. */
export const USAGE_PATH = '/app/settings/usage'
/** Flows: the client's list (and its runs tab), a flow's canvas, a run's trace. */
export const FLOWS_PATH = '/app/flows'
export const flowPath = (id: string) => `${FLOWS_PATH}/${encodeURIComponent(id)}`
export const flowRunPath = (id: string) => `${FLOWS_PATH}/runs/${encodeURIComponent(id)}`
/** A client's connectors (Google Ads and GA4): where a Google consent returns. */
export const clientConnectorsPath = (clientId: string) => `/app/clients/${encodeURIComponent(clientId)}/connectors`
