import ipaddr from 'ipaddr.js'

/**
 * The key a per-address limit counts under: an IPv4 address as is, an IPv6 address by its /64 (one subscriber's
 * whole prefix: a home or a cloud VM gets 2^64 addresses, so a per-address key would be no limit at all), an
 * IPv4-mapped IPv6 address as the IPv4 it maps. Every per-IP key (rate limit, login, signup, demo) goes through here.
 */
export const ipKey = (ip: string): string => {
  if (!ipaddr.isValid(ip)) return ip
  const addr = ipaddr.process(ip)
  if (addr.kind() === 'ipv4') return addr.toString()
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16))
  return `${parts.join(':')}::/64`
}

/** Names proxy-addr (Fastify's trustProxy) understands besides addresses and CIDRs. */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** Whether one TRUST_PROXY entry is an address, a CIDR range or a proxy-addr range name. */
export const isProxyRange = (entry: string) =>
  PROXY_NAMES.has(entry) || ipaddr.isValid(entry) || ipaddr.isValidCIDR(entry)
