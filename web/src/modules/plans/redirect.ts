import { useMutation } from '@tanstack/react-query'
import { isSafeRedirect } from './api.ts'

/**
 * A button's trip to Stripe: ask our server for the URL (Checkout, a top-up, the portal), then leave for it.
 * The server's answer is trusted only as an http(s) URL or a path on this site.
 */
export const useStripeRedirect = <V>(start: (v: V) => Promise<{ url: string }>) =>
  useMutation({
    mutationFn: start,
    onSuccess: ({ url }) => {
      if (isSafeRedirect(url)) window.location.assign(url)
    },
  })
