import http from 'node:http'
import https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { EgressError } from './egress.errors.ts'

export type ResolvedAddress = { address: string; family: 4 | 6 }

export type Hop = {
  url: URL
  method: string
  headers: Record<string, string>
  body?: Buffer
  /** Addresses already checked against the policy; the socket may go nowhere else. */
  addresses: ResolvedAddress[]
  signal: AbortSignal
}

/** `[::1]` in a URL is `::1` to sockets and DNS. */
export const bareHost = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1')

// Node asks this instead of DNS, so there is no second lookup an attacker's DNS could answer
// differently (rebinding). Happy eyeballs asks for `all`; every address in the list was vetted.
const pinnedLookup =
  (addresses: ResolvedAddress[]): LookupFunction =>
  (_hostname, options, callback) => {
    const candidates = options.family ? addresses.filter((a) => a.family === options.family) : addresses
    const usable = candidates.length ? candidates : addresses
    if (options.all) return callback(null, usable)
    const [first] = usable
    if (!first) return callback(Object.assign(new Error('no vetted address'), { code: 'ENOTFOUND' }), '')
    callback(null, first.address, first.family)
  }

/** Sends one request to a vetted address and resolves with the response head; the body is left unread. */
export const sendHop = (hop: Hop) =>
  new Promise<http.IncomingMessage>((resolve, reject) => {
    const host = bareHost(hop.url.hostname)
    const client = hop.url.protocol === 'https:' ? https : http
    const req = client.request({
      protocol: hop.url.protocol,
      // The name (not the address) stays the target so Host, SNI and certificate checks use it.
      hostname: host,
      port: hop.url.port || undefined,
      path: `${hop.url.pathname}${hop.url.search}`,
      method: hop.method,
      headers: { ...hop.headers, host: hop.url.host },
      servername: isIP(host) ? undefined : host,
      lookup: pinnedLookup(hop.addresses),
      // A fresh socket per hop: a pooled one could outlive the check that allowed it.
      agent: false,
      signal: hop.signal,
    })
    req.once('response', resolve)
    req.once('error', reject)
    req.end(hop.body)
  })

const tooLarge = (maxBytes: number) =>
  new EgressError('egress.too_large', `The response is larger than ${maxBytes} bytes.`)

/** Reads the body up to `maxBytes`; past that it drops the connection rather than drain an endless stream. */
export const readBody = (res: http.IncomingMessage, maxBytes: number) =>
  new Promise<Buffer>((resolve, reject) => {
    const declared = Number(res.headers['content-length'])
    if (declared > maxBytes) {
      res.destroy()
      return reject(tooLarge(maxBytes))
    }
    const chunks: Buffer[] = []
    let size = 0
    let ended = false
    res.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) return void chunks.push(chunk)
      res.destroy()
      reject(tooLarge(maxBytes))
    })
    res.once('end', () => {
      ended = true
      resolve(Buffer.concat(chunks))
    })
    res.once('error', reject)
    // A socket cut mid-body (or by the deadline) closes without 'end'; first settle wins.
    res.once('close', () => {
      if (!ended) reject(new EgressError('egress.network', 'The connection closed before the response ended.'))
    })
  })

export const headersOf = (res: http.IncomingMessage) => {
  const headers = new Headers()
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!)
  return headers
}
