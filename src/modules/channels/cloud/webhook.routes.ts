import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Kysely } from 'kysely'
import { z } from 'zod'
import { errorResponses } from '../../../platform/http/route-helpers.ts'
import { channelsErrors } from '../channels.errors.ts'
import type { ChannelsTables } from '../channels.tables.ts'
import type { Receivers } from '../receivers.ts'
import { CloudWebhookInvalid, parseWebhook, verifyChallenge, verifySignature } from './webhook.ts'

const RawBody = z.custom<Buffer>((value) => Buffer.isBuffer(value), { message: 'Expected a JSON body.' })
/** Meta's webhook bodies are small; a larger one is not Meta's. */
const MAX_BODY_BYTES = 3 * 1024 * 1024

/**
 * The Cloud API's one webhook URL for the Meta app (`/api/webhooks/whatsapp`): `GET` answers Meta's verification,
 * `POST` is verified with `X-Hub-Signature-256` on the raw bytes before anything is parsed, then every number's messages
 * and statuses are stored in one transaction (messages once by provider id, statuses only forward) before the 200.
 * Numbers are told apart by `metadata.phone_number_id`; events for a number that is not here are acknowledged and
 * dropped (Meta would otherwise retry them for days). Public, no cookie, exempt from the per-IP rate limit (Meta
 * delivers bursts from a few addresses): the signature bounds it.
 */
export const cloudWebhookRoutes =
  ({
    db,
    appSecrets,
    verifyToken,
    receivers,
  }: {
    db: Kysely<ChannelsTables>
    appSecrets: string[]
    verifyToken: string | undefined
    receivers: Receivers
  }) =>
  async (base: FastifyInstance) => {
    base.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES },
      (_req, body, done) => done(null, body),
    )
    const app = base.withTypeProvider<ZodTypeProvider>()

    app.get(
      '/api/webhooks/whatsapp',
      {
        config: { public: true, rateLimit: false },
        schema: {
          tags: ['webhooks'],
          summary:
            "Meta's verification of the WhatsApp webhook URL: echoes hub.challenge when hub.verify_token matches",
          querystring: z.record(z.string(), z.string()),
          response: { 200: z.string(), ...errorResponses(403, 404) },
        },
      },
      async (req, reply) => {
        if (!verifyToken) throw channelsErrors.cloud_not_configured()
        const challenge = verifyChallenge(req.query, verifyToken)
        if (challenge === null) throw channelsErrors.webhook_verify_failed()
        return reply.type('text/plain; charset=utf-8').send(challenge)
      },
    )

    app.post(
      '/api/webhooks/whatsapp',
      {
        config: { public: true, rateLimit: false, webhook: 'whatsapp' },
        bodyLimit: MAX_BODY_BYTES,
        schema: {
          tags: ['webhooks'],
          summary:
            'WhatsApp Cloud API events: verified with X-Hub-Signature-256 on the raw bytes, stored once, 200 when stored',
          body: RawBody,
          response: { 200: z.object({ received: z.literal(true) }), ...errorResponses(400, 401, 404, 413) },
        },
      },
      async (req) => {
        if (!appSecrets.length) throw channelsErrors.cloud_not_configured()
        const header = req.headers['x-hub-signature-256']
        if (typeof header !== 'string' || !header) throw channelsErrors.webhook_signature_missing()
        if (!verifySignature(req.body, header, appSecrets)) throw channelsErrors.webhook_signature()
        let body: unknown
        try {
          body = JSON.parse(req.body.toString('utf8'))
        } catch {
          throw channelsErrors.webhook_invalid({ problem: 'the body is not JSON' })
        }
        let parsed
        try {
          parsed = parseWebhook(body)
        } catch (err) {
          if (err instanceof CloudWebhookInvalid) throw channelsErrors.webhook_invalid({ problem: err.problem })
          throw err
        }
        const ids = parsed.numbers.map((n) => n.phoneNumberId)
        if (!ids.length) return { received: true as const }
        const afterCommit: (() => void)[] = []
        await db.transaction().execute(async (trx) => {
          const channels = await trx
            .selectFrom('channels')
            .select(['id', 'workspaceId', 'clientId', 'cloudPhoneNumberId'])
            .where('kind', '=', 'cloud')
            .where('status', '<>', 'logged_out')
            .where('cloudPhoneNumberId', 'in', ids)
            .execute()
          const byNumber = new Map(channels.map((c) => [c.cloudPhoneNumberId!, c]))
          for (const n of parsed.numbers) {
            const channel = byNumber.get(n.phoneNumberId)
            if (!channel) continue
            const ref = { id: channel.id, workspaceId: channel.workspaceId, clientId: channel.clientId }
            if (n.messages.length) afterCommit.push(await receivers.inbound(trx, ref, n.messages))
            if (n.statuses.length) afterCommit.push(await receivers.statuses(trx, ref, n.statuses))
            await trx.updateTable('channels').set({ lastSeenAt: new Date() }).where('id', '=', channel.id).execute()
          }
        })
        for (const fn of afterCommit) fn()
        return { received: true as const }
      },
    )
  }
