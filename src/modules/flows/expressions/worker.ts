// The child process of the expression pool (pool.ts). It runs under Node's type stripping, so it stays plain: no
// project imports, only jsonata through evaluate.ts. The parent owns every hard bound (deadline, heap size, sizes in);
// this side applies JSONata's own guards, refuses function results and measures what it sends back.
import { createEvaluator } from './evaluate.ts'
import type { Request, Response, WorkerOptions } from './protocol.ts'

const options = JSON.parse(process.argv[2] ?? '{}') as WorkerOptions
const send = (response: Response) => process.send!(response)
const evaluator = createEvaluator(options)

process.on('message', (request: Request) => {
  void evaluator.run(request, (step) => send({ id: request.id, step })).then(send)
})
// The parent went away (it exited or crashed): nothing is left to answer.
process.on('disconnect', () => process.exit(0))
send({ ready: true })
