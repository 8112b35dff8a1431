/** Plans, pricing, subscription and invoices. */
export { BillingPage } from './BillingPage.tsx'
export { PricingPage } from './PricingPage.tsx'
