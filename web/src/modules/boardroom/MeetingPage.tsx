import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Link, useParams } from 'react-router'
import type { AgentDto } from '../../../../contracts/agents.ts'
import type { MeetingDto } from '../../../../contracts/boardroom.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { formatDateTime } from '../../lib/format.ts'
import { canEdit } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { useAgents } from '../agents/index.ts'
import { MODERATOR, boardroomKeys, cancelMeeting, getMeeting } from './api.ts'
import { mergeTurns } from './live-meeting.ts'
import { MeetingStatus } from './MeetingList.tsx'
import { SummaryCard, TurnCard } from './TurnCard.tsx'
import { useMeetingStream } from './use-meeting-stream.ts'
import { AgentAvatar } from '../../ui/AgentAvatar.tsx'

/** /app/boardroom/:meetingId */
export function MeetingPage() {
  const { meetingId = '' } = useParams()
  return <MeetingLoader key={meetingId} id={meetingId} />
}

function MeetingLoader({ id }: { id: string }) {
  const meeting = useQuery({ queryKey: boardroomKeys.meeting(id), queryFn: ({ signal }) => getMeeting(id, signal) })
  return (
    <div className="mx-auto flex max-w-3xl flex-col">
      <Link to="/app/boardroom" className="mb-3 self-start text-sm font-medium text-indigo-700 hover:underline">
        ← All meetings
      </Link>
      <QueryState query={meeting} label="Loading the meeting…">
        {(m) => <Meeting meeting={m} />}
      </QueryState>
    </div>
  )
}

function SeatedAgents({ ids, agents }: { ids: string[]; agents: AgentDto[] }) {
  return (
    <ul aria-label="Seated agents" className="mt-3 flex flex-wrap gap-2">
      {ids.map((id) => {
        const agent = agents.find((a) => a.id === id)
        return (
          <li
            key={id}
            className="flex items-center gap-1.5 rounded-full border border-slate-200 bg-white py-1 pr-3 pl-1 text-sm text-slate-800"
          >
            <AgentAvatar agent={agent} size={28} />
            {agent?.name ?? 'Agent'}
          </li>
        )
      })}
    </ul>
  )
}

function Meeting({ meeting }: { meeting: MeetingDto }) {
  useTitle('Boardroom meeting')
  const qc = useQueryClient()
  const editable = canEdit(useWorkspace().role)
  const agents = useAgents(meeting.clientId).data ?? []
  const running = meeting.status === 'running'
  const stream = useMeetingStream(meeting.id, running)
  const turns = mergeTurns(meeting.turns, running ? stream.live : null)
  const speeches = turns.filter((t) => t.speaker !== MODERATOR)
  const summary = turns.find((t) => t.speaker === MODERATOR)
  const current = turns.find((t) => t.status === 'streaming')
  const speaking =
    current && (current.speaker === MODERATOR ? 'The moderator' : agents.find((a) => a.id === current.speaker)?.name)
  const stop = useMutation({
    mutationFn: () => cancelMeeting(meeting.id),
    meta: { success: 'Meeting stopped.' },
    onSuccess: () => qc.invalidateQueries({ queryKey: boardroomKeys.meeting(meeting.id) }),
  })

  return (
    <>
      <header className="mb-6 border-b border-slate-200 pb-4">
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div className="min-w-0 flex-1">
            <p className="text-sm font-medium text-slate-600">
              Boardroom · {formatDateTime(meeting.createdAt)} · {meeting.rounds}{' '}
              {meeting.rounds === 1 ? 'round' : 'rounds'}
            </p>
            <h1 className="mt-1 text-xl font-semibold tracking-tight break-words text-slate-900">{meeting.topic}</h1>
          </div>
          <div className="flex items-center gap-2">
            <MeetingStatus status={running && stream.live?.done ? stream.live.done : meeting.status} />
            {running && editable && (
              <Button variant="secondary" pending={stop.isPending} onClick={() => stop.mutate()}>
                Stop meeting
              </Button>
            )}
          </div>
        </div>
        <SeatedAgents ids={meeting.agentIds} agents={agents} />
      </header>
      {turns.some((t) => t.offline) && (
        <p
          data-testid="offline-banner"
          role="status"
          className="mb-4 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          <strong className="font-semibold">Offline model</strong> — no AI provider is configured; the agents’ turns are
          composed locally.
        </p>
      )}
      {stop.isError && (
        <Alert tone="error" className="mb-4">
          {errorMessage(stop.error)}
        </Alert>
      )}
      {stream.error !== null && (
        <Alert tone="error" className="mb-4" title="Lost the live meeting">
          {errorMessage(stream.error)} Reload the page to see the rest.
        </Alert>
      )}
      <p role="status" className="sr-only">
        {speaking ? `${speaking} is speaking` : ''}
      </p>
      {speeches.length === 0 && !summary ? (
        <p className="py-8 text-center text-sm text-slate-600">
          {running ? 'The agents are taking their seats…' : 'Nobody spoke in this meeting.'}
        </p>
      ) : (
        <ol aria-label="Turns" className="space-y-3">
          {speeches.map((t) => (
            <TurnCard key={t.id} turn={t} agent={agents.find((a) => a.id === t.speaker)} />
          ))}
        </ol>
      )}
      {summary ? (
        <div className="mt-6">
          <SummaryCard turn={summary} />
        </div>
      ) : (
        !running &&
        meeting.summary && (
          <div className="mt-6">
            <SummaryCard
              turn={{
                id: 'summary',
                round: meeting.rounds + 1,
                position: 0,
                speaker: MODERATOR,
                content: meeting.summary,
                status: 'complete',
                modelId: '',
                usage: null,
                offline: false,
                error: null,
              }}
            />
          </div>
        )
      )}
      {!running && meeting.status !== 'completed' && (
        <p className="mt-6 text-center text-sm text-slate-600">
          {meeting.status === 'cancelled'
            ? 'This meeting was stopped before the end.'
            : 'This meeting could not finish.'}
        </p>
      )}
    </>
  )
}
