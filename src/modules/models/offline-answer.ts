import type { LanguageModelV4Message, LanguageModelV4Prompt } from '@ai-sdk/provider'
import { pickPlaybook } from './offline-playbooks.ts'

export const OFFLINE_NOTICE =
  '_Offline model — no AI provider is configured on this server, so this answer was composed locally._'

// Agents put their role first: "You are the PPC Specialist of Acme…" or a "Role: …" line.
// Horizontal space only: `\s*` after `^` would cross lines and make a run of blank lines quadratic.
const ROLE_LINE = /^[ \t]*role[ \t]*:[ \t]*(.+)$/im
const YOU_ARE = /\byou are (?:the |an? |your )?(.+?)(?=\s+(?:of|for|at|in|with|who|that)\b|\s*\(|[,.;:!\n]|$)/i
const STOPWORDS = new Set(
  (
    'about after again also been being could does doing from have help here how into just like make more most much ' +
    'need only other over please really should some such than that their them then there these they this those ' +
    'want what when where which while will with would your you can the and for are our not but any all was get ' +
    'last next week weeks month year today yesterday tomorrow thanks think know tell give show'
  ).split(' '),
)

type UserMessage = Extract<LanguageModelV4Message, { role: 'user' }>
const isUser = (m: LanguageModelV4Message): m is UserMessage => m.role === 'user'
const textOf = (m: UserMessage | undefined) =>
  (m?.content ?? [])
    .map((p) => (p.type === 'text' ? p.text : ''))
    .filter(Boolean)
    .join('\n')

export const extractRole = (system: string): string | undefined => {
  const match = ROLE_LINE.exec(system) ?? YOU_ARE.exec(system)
  const role = match?.[1]?.trim().replace(/[*_`"]/g, '')
  return role ? (role.charAt(0).toUpperCase() + role.slice(1)).slice(0, 60) : undefined
}

/** The question's first few content words, so the answer shows what it understood. */
const keyTerms = (question: string) => {
  const words = question.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]{3,}/gu) ?? []
  return [...new Set(words.filter((w) => !STOPWORDS.has(w)))].slice(0, 5)
}

const quote = (question: string) => {
  const oneLine = question.replace(/\s+/g, ' ').trim()
  return oneLine.length > 300 ? `${oneLine.slice(0, 297)}…` : oneLine
}

/** How much of the system prompt and the question the answer reads: the patterns above run on user text (`/v1`). */
export const OFFLINE_READ_CHARS = 4_000

/** The whole answer, a pure function of the prompt: the same conversation always gets the same text. */
export const composeOfflineAnswer = (prompt: LanguageModelV4Prompt): string => {
  const system = prompt
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n')
    .slice(0, OFFLINE_READ_CHARS)
  const question = textOf(prompt.findLast(isUser)).slice(0, OFFLINE_READ_CHARS)
  const role = extractRole(system)
  const playbook = pickPlaybook(role ?? '')
  const terms = keyTerms(question)
  const lines = [
    OFFLINE_NOTICE,
    '',
    role ? `**${role}** — ${playbook.intro}` : playbook.intro.replace(/^./, (c) => c.toUpperCase()),
    '',
    question.trim() ? `> ${quote(question)}` : '> (No question yet — send a message to get started.)',
    ...(terms.length ? ['', `**Focus:** ${terms.join(', ')}`] : []),
    '',
    `**${playbook.title}**`,
    ...playbook.steps.map((step, i) => `${i + 1}. ${step}`),
    '',
    'For a full answer from an AI model, ask an administrator to set a provider key (for example `OPENAI_API_KEY`) on the server.',
  ]
  return lines.join('\n')
}

/** Every piece of text in the prompt, for counting input tokens. */
export const promptText = (prompt: LanguageModelV4Prompt): string =>
  prompt
    .map((m) => {
      if (m.role === 'system') return m.content
      return m.content
        .map((p) => {
          if (p.type === 'text' || p.type === 'reasoning') return p.text
          if (p.type === 'tool-call') return JSON.stringify(p.input)
          if (p.type === 'tool-result') return JSON.stringify(p.output)
          return ''
        })
        .join('\n')
    })
    .join('\n')
