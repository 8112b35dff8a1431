import { BlockList, isIP } from 'node:net'

type Family = 'ipv4' | 'ipv6'
type Range = readonly [network: string, prefix: number]

// Not reachable from the public internet, so a request there can only be probing our own network.
const NON_PUBLIC_V4: Range[] = [
  ['0.0.0.0', 8], // "this network", includes the unspecified address
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT: often the cloud provider's own plumbing
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, includes 255.255.255.255
]

// IPv6 is allow-listed instead: only global unicast is public, which already excludes ::, ::1,
// fc00::/7, fe80::/10 and ff00::/8. Inside it, these blocks tunnel to or stand for other networks.
const GLOBAL_UNICAST_V6: Range = ['2000::', 3]
const NON_PUBLIC_V6: Range[] = [
  ['2001::', 23], // IETF special purpose, includes Teredo
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 embeds an arbitrary IPv4 address
]

// Instance metadata hands out cloud credentials; no operator setting opens these.
const METADATA: [string, Family][] = [
  ['169.254.169.254', 'ipv4'], // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
  ['169.254.170.2', 'ipv4'], // AWS ECS task credentials
  ['100.100.100.200', 'ipv4'], // Alibaba Cloud
  ['168.63.129.16', 'ipv4'], // Azure WireServer: a public address, so only this list stops it
  ['192.0.0.192', 'ipv4'], // Oracle Cloud (legacy)
  ['fd00:ec2::254', 'ipv6'], // AWS IMDS over IPv6
]

const listOf = (ranges: Range[], family: Family) => {
  const list = new BlockList()
  for (const [network, prefix] of ranges) list.addSubnet(network, prefix, family)
  return list
}

const nonPublicV4 = listOf(NON_PUBLIC_V4, 'ipv4')
const nonPublicV6 = listOf(NON_PUBLIC_V6, 'ipv6')
const globalUnicastV6 = listOf([GLOBAL_UNICAST_V6], 'ipv6')
const metadata = new BlockList()
for (const [address, family] of METADATA) metadata.addAddress(address, family)

const fromHextets = (high: string, low: string) => {
  const [h, l] = [parseInt(high, 16), parseInt(low, 16)]
  return `${h >> 8}.${h & 255}.${l >> 8}.${l & 255}`
}

/**
 * The address to judge: IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses reach
 * the embedded IPv4 host, so they are judged as that host. Undefined when it is not an IP at all.
 */
const canonical = (address: string): { address: string; family: Family } | undefined => {
  if (address.includes('%')) return undefined // zone ids only qualify link-local addresses
  const version = isIP(address)
  if (version === 4) return { address, family: 'ipv4' }
  if (version !== 6) return undefined
  // WHATWG serialisation gives one lowercase, compressed spelling to match against.
  const compact = new URL(`http://[${address}]/`).hostname.slice(1, -1)
  const embedded = /^(?:::ffff|64:ff9b:):([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compact)
  if (embedded) return { address: fromHextets(embedded[1]!, embedded[2]!), family: 'ipv4' }
  return { address: compact, family: 'ipv6' }
}

const parseCidr = (cidr: string): { network: string; prefix: number; family: Family } => {
  const [network = '', prefixText, ...rest] = cidr.trim().split('/')
  const version = isIP(network)
  const max = version === 4 ? 32 : 128
  const prefix = prefixText === undefined ? max : Number(prefixText)
  if (!version || rest.length || !Number.isInteger(prefix) || prefix < 0 || prefix > max || prefixText === '') {
    throw new Error(`Egress allowPrivate entry "${cidr}" is not an IP address or CIDR range.`)
  }
  return { network, prefix, family: version === 4 ? 'ipv4' : 'ipv6' }
}

export type AddressPolicy = { isAllowed(address: string): boolean }

/** Public addresses pass; `allowPrivate` CIDRs open chosen private ranges; metadata never passes. */
export const createAddressPolicy = (allowPrivate: string[] = []): AddressPolicy => {
  const opened = new BlockList()
  for (const entry of allowPrivate) {
    const { network, prefix, family } = parseCidr(entry)
    opened.addSubnet(network, prefix, family)
  }
  return {
    isAllowed(address) {
      const ip = canonical(address)
      if (!ip || metadata.check(ip.address, ip.family)) return false
      if (opened.check(ip.address, ip.family)) return true
      if (ip.family === 'ipv4') return !nonPublicV4.check(ip.address, 'ipv4')
      return globalUnicastV6.check(ip.address, 'ipv6') && !nonPublicV6.check(ip.address, 'ipv6')
    },
  }
}
