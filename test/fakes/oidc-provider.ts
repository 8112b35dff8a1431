import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { createServer, type Server } from 'node:http'

/**
 * A small OpenID Connect provider on loopback that speaks the real protocol: discovery, authorization
 * redirect, code exchange with PKCE and client authentication, RS256 ID tokens, JWKS.
 */
export type FakeIdentity = { sub: string; email: string; email_verified: boolean; name: string }

export const startFakeOidcProvider = async (client: { clientId: string; clientSecret: string }) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }
  const codes = new Map<string, { identity: FakeIdentity; nonce: string; challenge: string; redirectUri: string }>()
  let nextIdentity: FakeIdentity = {
    sub: 'google-sub-1',
    email: 'g@example.test',
    email_verified: true,
    name: 'G User',
  }
  let issuer = ''

  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const idToken = (claims: Record<string, unknown>) => {
    const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${b64(claims)}`
    return `${input}.${sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url')}`
  }
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', issuer)
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      })
    }
    if (url.pathname === '/jwks') return json(res, 200, { keys: [jwk] })
    if (url.pathname === '/authorize') {
      const p = url.searchParams
      if (p.get('client_id') !== client.clientId || p.get('code_challenge_method') !== 'S256')
        return json(res, 400, { error: 'invalid_request' })
      const code = randomBytes(16).toString('hex')
      codes.set(code, {
        identity: nextIdentity,
        nonce: p.get('nonce') ?? '',
        challenge: p.get('code_challenge') ?? '',
        redirectUri: p.get('redirect_uri') ?? '',
      })
      const back = new URL(p.get('redirect_uri')!)
      back.searchParams.set('code', code)
      back.searchParams.set('state', p.get('state') ?? '')
      res.writeHead(302, { location: back.href }).end()
      return
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = ''
      for await (const chunk of req) body += chunk
      const form = new URLSearchParams(body)
      const basic = req.headers.authorization?.startsWith('Basic ')
        ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString().split(':').map(decodeURIComponent)
        : []
      const [id, secret] = basic.length ? basic : [form.get('client_id'), form.get('client_secret')]
      if (id !== client.clientId || secret !== client.clientSecret) return json(res, 401, { error: 'invalid_client' })
      const grant = codes.get(form.get('code') ?? '')
      codes.delete(form.get('code') ?? '')
      const verifier = form.get('code_verifier') ?? ''
      if (
        !grant ||
        grant.redirectUri !== form.get('redirect_uri') ||
        createHash('sha256').update(verifier).digest('base64url') !== grant.challenge
      )
        return json(res, 400, { error: 'invalid_grant' })
      const now = Math.floor(Date.now() / 1000)
      return json(res, 200, {
        access_token: randomBytes(16).toString('hex'),
        token_type: 'Bearer',
        expires_in: 3600,
        id_token: idToken({
          iss: issuer,
          aud: client.clientId,
          iat: now,
          exp: now + 600,
          nonce: grant.nonce,
          ...grant.identity,
        }),
      })
    }
    json(res, 404, { error: 'not_found' })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  return {
    issuer,
    setIdentity: (identity: FakeIdentity) => {
      nextIdentity = identity
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  }
}
