/** Pages of the web app the API points people to (an error's `upgradeUrl`). Plain data, shared with the web app. */
export const BILLING_PATH = '/app/settings/billing'
/** Where an agency gets more credits: usage, caps, top-ups. */
export const USAGE_PATH = '/app/settings/usage'
