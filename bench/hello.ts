import Fastify from 'fastify'

/** The baseline: a bare Fastify hello-world, started the same way as Camarad in the same run. */
const app = Fastify({ logger: false })
app.get('/hello', async () => ({ hello: 'world' }))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
console.log('ready')
