import { Suspense, lazy, useState } from 'react'
import type { FormEvent, KeyboardEvent } from 'react'
import { Link, useSearchParams } from 'react-router'
import { useTitle } from '../../lib/use-title.ts'
import { AgentAvatar } from '../../ui/AgentAvatar.tsx'
import { Alert } from '../../ui/Alert.tsx'
import { Button, buttonClass } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { Select, Textarea } from '../../ui/Input.tsx'
import { DEMO_AGENTS, DEMO_MESSAGE_MAX, demoAgent } from './demo-agents.ts'
import { useDemoChat } from './use-demo-chat.ts'
import type { DemoExchange } from './use-demo-chat.ts'

const MessageMarkdown = lazy(() => import('../../ui/MessageMarkdown.tsx').then((m) => ({ default: m.MessageMarkdown })))

function Exchange({ x }: { x: DemoExchange }) {
  const agent = demoAgent(x.agentId)
  const streaming = x.status === 'streaming'
  return (
    <>
      <li className="flex justify-end">
        <div className="max-w-[85%] rounded-lg rounded-tr-none bg-indigo-600 px-4 py-3 whitespace-pre-wrap break-words text-white">
          <p className="sr-only">You said:</p>
          {x.question}
        </div>
      </li>
      <li className="flex gap-3">
        <AgentAvatar agent={agent} size={32} answering={streaming} />
        <div
          data-testid="demo-answer"
          data-status={x.status}
          aria-live={streaming ? 'polite' : undefined}
          aria-busy={streaming || undefined}
          className="min-w-0 max-w-[85%] rounded-lg rounded-tl-none border border-slate-200 bg-white px-4 py-3 shadow-sm"
        >
          <p className="mb-1 text-xs font-medium text-slate-500">{agent.name}</p>
          {x.answer ? (
            <Suspense fallback={<p className="whitespace-pre-wrap break-words text-slate-800">{x.answer}</p>}>
              <MessageMarkdown source={x.answer} />
            </Suspense>
          ) : (
            streaming && <p className="text-sm text-slate-500">Thinking…</p>
          )}
          {streaming && x.answer && (
            <span aria-hidden="true" className="mt-2 block h-1.5 w-6 animate-pulse rounded bg-indigo-400" />
          )}
          {x.status === 'stopped' && <p className="mt-2 text-xs font-medium text-slate-500">Stopped</p>}
          {x.error && <p className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">{x.error}</p>}
        </div>
      </li>
    </>
  )
}

/** /chat-demo: try a built-in agent without an account, on the offline model; nothing is saved. */
export function DemoPage() {
  useTitle('Try the demo')
  const [params] = useSearchParams()
  const [agentId, setAgentId] = useState<string>(() => demoAgent(params.get('agent')).id)
  const [text, setText] = useState(() => (params.get('q') ?? '').slice(0, DEMO_MESSAGE_MAX))
  const [local, setLocal] = useState<string | null>(null)
  const demo = useDemoChat()

  const send = async () => {
    if (demo.streaming) return
    if (!text.trim()) return setLocal('Write a message first, e.g. “How should we split a €3,000 monthly budget?”.')
    setLocal(null)
    const sent = text.trim()
    if (await demo.send(agentId, sent)) setText((t) => (t.trim() === sent ? '' : t))
  }
  const onSubmit = (e: FormEvent) => {
    e.preventDefault()
    void send()
  }
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key !== 'Enter' || e.shiftKey || e.nativeEvent.isComposing) return
    e.preventDefault()
    void send()
  }

  return (
    <div className="mx-auto max-w-3xl px-4 py-10 sm:px-6">
      <p
        data-testid="demo-banner"
        role="note"
        className="mb-6 rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900"
      >
        <strong className="font-semibold">Demo · not saved</strong> — answers come from Camarad’s offline model,
        composed on the server without any AI provider. Nothing you type is stored.
      </p>
      <h1 className="text-3xl font-bold tracking-tight text-slate-900">Try an agent</h1>
      <p className="mt-2 text-slate-700">
        Pick one of the built-in agents and ask it something about a made-up client, “Demo Bakery”.
      </p>
      {demo.exchanges.length > 0 && (
        <ol aria-label="Demo conversation" className="mt-8 space-y-4">
          {demo.exchanges.map((x) => (
            <Exchange key={x.id} x={x} />
          ))}
        </ol>
      )}
      <form
        onSubmit={onSubmit}
        noValidate
        className="mt-8 space-y-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
      >
        {demo.error && (
          <Alert tone="error">
            <div className="flex items-start justify-between gap-3">
              <p>{demo.error}</p>
              <Button variant="ghost" className="-my-1 px-2 py-1" onClick={demo.clearError}>
                Dismiss
              </Button>
            </div>
          </Alert>
        )}
        <Field label="Agent" className="sm:w-80">
          {(p) => (
            <Select {...p} value={agentId} onChange={(e) => setAgentId(e.target.value)}>
              {DEMO_AGENTS.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Message" error={local} hint="Enter to send, Shift+Enter for a new line.">
          {(p) => (
            <Textarea
              {...p}
              rows={3}
              maxLength={DEMO_MESSAGE_MAX}
              value={text}
              onChange={(e) => setText(e.target.value)}
              onKeyDown={onKeyDown}
              placeholder="Ask anything…"
            />
          )}
        </Field>
        <div className="flex flex-wrap items-center gap-2">
          <Button type="submit" disabled={demo.streaming}>
            Send
          </Button>
          {demo.streaming && (
            <Button variant="secondary" onClick={demo.stop}>
              Stop
            </Button>
          )}
          <span className="ml-auto text-sm text-slate-600">
            Like it?{' '}
            <Link to="/signup" className={buttonClass('ghost', 'px-2 py-1 text-indigo-700')}>
              Sign up to keep your conversations
            </Link>
          </span>
        </div>
      </form>
    </div>
  )
}
