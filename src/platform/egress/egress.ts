import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { createAddressPolicy, type AddressPolicy } from './address-policy.ts'
import { EgressError } from './egress.errors.ts'
import { requestOf, streamBody, toResponse } from './egress.fetch.ts'
import { bareHost, headersOf, readBody, sendHop, type ResolvedAddress } from './egress.transport.ts'

export { EgressError, type EgressErrorCode } from './egress.errors.ts'

export type EgressOptions = {
  /** CIDR ranges an operator opens on purpose (e.g. an internal Ollama). Metadata addresses stay closed whatever this says. */
  allowPrivate?: string[]
  /** Whole request including every redirect and the body; default 10 000. */
  timeoutMs?: number
  /** Response body cap; default 2 MiB. For `fetch`, the streamed body's. */
  maxBytes?: number
  /** Default 5. */
  maxRedirects?: number
  /** Default `Camarad/0.1 (+self-hosted)`; a `user-agent` header in the request wins. */
  userAgent?: string
  /** For tests only: resolve names with this instead of DNS. */
  lookup?: (hostname: string) => Promise<ResolvedAddress[]>
}

export type EgressRequestInit = { method?: string; headers?: Record<string, string>; body?: string | Buffer }

export type EgressResponse = {
  status: number
  headers: Headers
  /** The URL that answered, after redirects. */
  url: string
  body: Buffer
  text(): string
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])
// We own framing and the Host header; a caller's copy could disagree with what is actually sent.
const OWNED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection'])
// Credentials meant for one origin are not handed to whichever origin it redirects to.
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization']

const systemLookup = async (hostname: string): Promise<ResolvedAddress[]> =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }))

/** Parses a request or Location URL; the scheme and credential rules apply to every hop. */
const parseTarget = (input: string, base?: URL) => {
  let url: URL
  try {
    url = new URL(input, base)
  } catch {
    throw new EgressError('egress.invalid_url', 'The URL is not valid.')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EgressError('egress.scheme_not_allowed', `Only http and https URLs are allowed, not ${url.protocol}`)
  }
  if (url.username || url.password)
    throw new EgressError('egress.invalid_url', 'URLs with credentials are not allowed.')
  return url
}

// DNS lookups cannot be cancelled, so the deadline races them instead.
const rejectOnAbort = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    if (signal.aborted) return reject(signal.reason)
    signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })

const requestHeaders = (headers: Record<string, string> = {}, userAgent: string) => {
  const out: Record<string, string> = { 'user-agent': userAgent }
  for (const [name, value] of Object.entries(headers)) {
    if (!OWNED_HEADERS.has(name.toLowerCase())) out[name.toLowerCase()] = value
  }
  return out
}

export const createEgress = (options: EgressOptions = {}) => {
  const policy: AddressPolicy = createAddressPolicy(options.allowPrivate)
  const resolveName = options.lookup ?? systemLookup
  const {
    timeoutMs = 10_000,
    maxBytes = 2 * 1024 * 1024,
    maxRedirects = 5,
    userAgent = 'Camarad/0.1 (+self-hosted)',
  } = options

  // Every address the name has must pass: a connection could go to any of them.
  const vet = async (url: URL, signal: AbortSignal) => {
    const host = bareHost(url.hostname)
    const family = isIP(host)
    const addresses = family
      ? [{ address: host, family: family as 4 | 6 }]
      : await Promise.race([resolveName(host), rejectOnAbort(signal)])
    if (!addresses.length) throw new EgressError('egress.network', `${host} did not resolve.`)
    if (!addresses.every((a) => policy.isAllowed(a.address))) {
      throw new EgressError(
        'egress.address_not_allowed',
        `${host} points to an address outbound requests may not reach.`,
      )
    }
    return addresses
  }

  /** Sends the request, following redirects (each hop vetted), and resolves with the final response's head. */
  const follow = async (input: string, init: EgressRequestInit, signal: AbortSignal) => {
    let url = parseTarget(input)
    let method = (init.method ?? 'GET').toUpperCase()
    let body = init.body === undefined ? undefined : Buffer.from(init.body)
    const headers = requestHeaders(init.headers, userAgent)
    for (let redirects = 0; ; redirects++) {
      const addresses = await vet(url, signal)
      const res = await sendHop({
        url,
        method,
        headers: body ? { ...headers, 'content-length': String(body.length) } : headers,
        body,
        addresses,
        signal,
      })
      const status = res.statusCode ?? 0
      const location = res.headers.location
      if (!REDIRECTS.has(status) || !location) return { res, url }
      res.destroy()
      if (redirects >= maxRedirects)
        throw new EgressError('egress.too_many_redirects', `More than ${maxRedirects} redirects.`)
      const next = parseTarget(location, url)
      // Browsers' rules: 303 always becomes GET; 301/302 turn a POST into GET; 307/308 repeat as sent.
      if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
        method = 'GET'
        body = undefined
        delete headers['content-type']
      }
      if (next.origin !== url.origin) for (const name of ORIGIN_BOUND_HEADERS) delete headers[name]
      url = next
    }
  }

  const deadline = (caller?: AbortSignal | null) => {
    const controller = new AbortController()
    const timer = setTimeout(
      () => controller.abort(new EgressError('egress.timeout', `No complete response within ${timeoutMs} ms.`)),
      timeoutMs,
    )
    const stopFollowing = () => controller.abort(caller?.reason)
    if (caller?.aborted) stopFollowing()
    caller?.addEventListener('abort', stopFollowing, { once: true })
    return {
      signal: controller.signal,
      clear: () => {
        clearTimeout(timer)
        caller?.removeEventListener('abort', stopFollowing)
      },
    }
  }
  const networkFailure = (error: unknown) =>
    new EgressError(
      'egress.network',
      `The request failed: ${(error as NodeJS.ErrnoException).code ?? 'network error'}.`,
    )

  return {
    /** fetch-like, but refuses non-public addresses (after DNS, on every redirect hop) and caps size and time. */
    async request(url: string, init: EgressRequestInit = {}): Promise<EgressResponse> {
      const { signal, clear } = deadline()
      try {
        const hop = await follow(url, init, signal)
        const data = await readBody(hop.res, maxBytes)
        return {
          status: hop.res.statusCode ?? 0,
          headers: headersOf(hop.res),
          url: hop.url.href,
          body: data,
          text: () => data.toString('utf8'),
        }
      } catch (error) {
        if (signal.aborted) throw signal.reason
        if (error instanceof EgressError) throw error
        throw networkFailure(error)
      } finally {
        clear()
      }
    },

    /**
     * A WHATWG `fetch` through the same guard, for libraries that take one (the AI SDK's providers): every call
     * resolves the name again and is refused if it now points somewhere it may not (a DNS change after a URL was
     * saved); redirects are re-checked; the body streams as it arrives (server-sent events) within `maxBytes`, and
     * `timeoutMs` bounds the whole exchange, body included. A refusal throws an `EgressError`; a network failure a
     * `TypeError('fetch failed')` with the cause, as undici's fetch does (callers retry those); the caller's signal
     * aborts with its own reason.
     */
    async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
      const request = await requestOf(input, init)
      const { signal, clear } = deadline(request.signal)
      try {
        const hop = await follow(request.url, request.init, signal)
        return toResponse(
          hop.res,
          headersOf(hop.res),
          () => streamBody(hop.res, { maxBytes, signal, done: clear }),
          clear,
        )
      } catch (error) {
        clear()
        if (signal.aborted) throw signal.reason
        if (error instanceof EgressError && error.code !== 'egress.network') throw error
        // The caught error re-described: a socket error names the address it reached, which we never pass on.
        // eslint-disable-next-line preserve-caught-error
        throw new TypeError('fetch failed', { cause: error instanceof EgressError ? error : networkFailure(error) })
      }
    },

    /** Refuses a URL (scheme, credentials, or a name that resolves to a non-public address) before it is saved for later calls. */
    async check(url: string): Promise<void> {
      const { signal, clear } = deadline()
      try {
        await vet(parseTarget(url), signal)
      } catch (error) {
        if (signal.aborted) throw signal.reason
        if (error instanceof EgressError) throw error
        throw networkFailure(error)
      } finally {
        clear()
      }
    },
  }
}

export type Egress = ReturnType<typeof createEgress>
