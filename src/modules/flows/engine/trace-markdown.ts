import type { FlowRunTrace, FlowStepDto } from '../../../../contracts/flows.ts'

/** How much of a step's input or output the Markdown shows (the JSON export has it all). */
export const TRACE_VALUE_CHARS = 2_000

const fence = (value: unknown, max = TRACE_VALUE_CHARS) => {
  const text = value === undefined ? 'null' : (JSON.stringify(value, null, 2) ?? 'null')
  const shown = text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text
  // A value cannot close the fence it is shown in.
  return ['```json', shown.replace(/```/g, '``\u200b`'), '```'].join('\n')
}
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim()
const quoted = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n')
const duration = (ms: number | null) => (ms === null ? '—' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`)
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

type Meeting = {
  meetingId: string
  decisions: string[]
  actionItems: { owner: string; action: string }[]
  turns: { round: number; name: string; content: string }[]
}
const isMeeting = (v: unknown): v is Meeting =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as Meeting).decisions) &&
  Array.isArray((v as Meeting).actionItems) &&
  Array.isArray((v as Meeting).turns)

const meetingSection = (m: Meeting) => [
  `**Meeting** \`${m.meetingId}\``,
  '',
  ...m.turns.flatMap((t) => [`**${t.name}** (round ${t.round}):`, '', quoted(t.content || '(nothing said)'), '']),
  '**Decisions**',
  '',
  ...(m.decisions.length ? m.decisions.map((d) => `- ${oneLine(d)}`) : ['- (none)']),
  '',
  '**Action items**',
  '',
  ...(m.actionItems.length
    ? m.actionItems.map((a) => `- **${oneLine(a.owner)}**: ${oneLine(a.action)}`)
    : ['- (none)']),
  '',
]

const stepSection = (n: number, step: FlowStepDto, name: string, type: string) => {
  const failedHere = step.error && (step.status === 'failed' || step.port === 'error')
  const meeting = isMeeting(step.output) ? step.output : undefined
  return [
    `### ${n}. ${name} (\`${type}\`${step.iteration !== '0' ? `, iteration ${step.iteration}` : ''}) — ${step.status}`,
    '',
    `- Status: ${step.status}${step.port ? ` (port \`${step.port}\`)` : ''} · attempts ${step.attempts} · ` +
      `duration ${duration(step.durationMs)} · credits ${step.credits}`,
    `- Started ${step.startedAt}${step.finishedAt ? `, finished ${step.finishedAt}` : ''}`,
    ...(failedHere ? [`- **${name} failed: ${oneLine(step.error!.message)}** (\`${step.error!.code}\`)`] : []),
    ...(step.error && !failedHere ? [`- Last error: ${oneLine(step.error.message)} (\`${step.error.code}\`)`] : []),
    '',
    'Input:',
    '',
    fence(step.input),
    '',
    ...(meeting
      ? meetingSection(meeting)
      : step.output === null || step.output === undefined
        ? []
        : ['Output:', '', fence(step.output), '']),
  ]
}

/**
 * A run's trace as Markdown, for a person to read or paste: the flow and version, the run's status and times, then
 * every step in the order it started with its status, duration, input and output (truncated), errors — a failed
 * source reads "<step> failed: …" — and, for a Boardroom step, the meeting's turns, decisions and action items.
 */
export const traceMarkdown = (trace: FlowRunTrace): string => {
  const { run } = trace
  const nodes = new Map(trace.graph.nodes.map((n) => [n.id, n]))
  const version = run.versionNumber === null ? 'draft (test run)' : `version ${run.versionNumber}`
  const failedSources = trace.steps
    .filter((s) => s.error && (s.status === 'failed' || s.port === 'error'))
    .map((s) => `${nodes.get(s.nodeId)?.name ?? s.nodeId} failed: ${oneLine(s.error!.message)}`)
  return [
    `# ${run.flowName || run.flowId}: run ${run.id}`,
    '',
    '| | |',
    '| --- | --- |',
    `| Flow | ${cell(run.flowName)} (\`${run.flowId}\`), ${version} |`,
    `| Status | ${run.status} |`,
    `| Trigger | ${run.trigger} |`,
    `| Started | ${run.createdAt} |`,
    `| Finished | ${run.finishedAt ?? '—'} |`,
    `| Duration | ${duration(run.durationMs)} |`,
    `| Steps | ${run.steps} |`,
    `| Credits | ${run.credits} |`,
    '',
    ...(run.error ? [`**Run error:** ${oneLine(run.error.message)} (\`${run.error.code}\`)`, ''] : []),
    ...(failedSources.length ? ['**Failed along the way:**', '', ...failedSources.map((f) => `- ${f}`), ''] : []),
    '## Input',
    '',
    fence(trace.input),
    '',
    '## Steps',
    '',
    ...trace.steps.flatMap((s, i) => {
      const node = nodes.get(s.nodeId)
      return stepSection(i + 1, s, node?.name ?? s.nodeId, node?.type ?? 'unknown')
    }),
    '## Output',
    '',
    fence(trace.output),
    '',
  ].join('\n')
}
