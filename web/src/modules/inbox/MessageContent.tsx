import type { InboxMessage } from './api.ts'

const str = (v: unknown) => (typeof v === 'string' && v ? v : null)
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)

const MEDIA_LABEL: Record<string, string> = {
  image: 'Photo',
  video: 'Video',
  audio: 'Voice or audio message',
  document: 'Document',
  sticker: 'Sticker',
}

const bytes = (n: number) =>
  n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${Math.round(n / 1024)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`

function Attachment() {
  return (
    <svg
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={2}
      aria-hidden="true"
      className="size-4 shrink-0"
    >
      <path d="M21 12.5l-8.5 8.5a5 5 0 0 1-7-7L14 5.5a3.5 3.5 0 0 1 5 5L10.5 19a2 2 0 0 1-3-3L15 8.5" />
    </svg>
  )
}

function Pin() {
  return (
    <svg
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={2}
      aria-hidden="true"
      className="size-4 shrink-0"
    >
      <path d="M12 21s-7-6.5-7-12a7 7 0 0 1 14 0c0 5.5-7 12-7 12z" />
      <circle cx="12" cy="9" r="2.5" />
    </svg>
  )
}

/** A message's content in words: text as written; media, places, reactions and unknown kinds described readably. */
export function MessageContent({ message }: { message: InboxMessage }) {
  const c = message.content
  switch (str(c.type) ?? message.type) {
    case 'text':
      return <p className="break-words whitespace-pre-wrap">{str(c.text) ?? ''}</p>
    case 'media': {
      const kind = str(c.media) ?? 'file'
      const size = num(c.bytes)
      return (
        <div>
          <p className="flex items-center gap-1.5 font-medium">
            <Attachment />
            {MEDIA_LABEL[kind] ?? 'File'}
            {str(c.fileName) && <span className="truncate font-normal">· {str(c.fileName)}</span>}
            {size !== null && <span className="font-normal opacity-70">· {bytes(size)}</span>}
          </p>
          {str(c.caption) && <p className="mt-1 break-words whitespace-pre-wrap">{str(c.caption)}</p>}
        </div>
      )
    }
    case 'location': {
      const lat = num(c.latitude)
      const lon = num(c.longitude)
      const place = [str(c.name), str(c.address)].filter(Boolean).join(', ')
      return (
        <p className="flex items-start gap-1.5">
          <Pin />
          <span>
            <span className="font-medium">Location</span>
            {place && <> · {place}</>}
            {lat !== null && lon !== null && (
              <>
                {' '}
                <a
                  href={`https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`}
                  target="_blank"
                  rel="noopener noreferrer nofollow"
                  className="underline"
                >
                  Open map
                </a>
              </>
            )}
          </span>
        </p>
      )
    }
    case 'reaction':
      return <p className="italic">Reacted {str(c.emoji) ?? ''} to a message</p>
    case 'template':
      return (
        <p>
          <span className="font-medium">Template</span> · {str(c.name) ?? 'unnamed'}
          {str(c.language) && <span className="opacity-70"> ({str(c.language)})</span>}
        </p>
      )
    case 'unsupported':
      return (
        <p className="italic opacity-80">
          A {str(c.kind) ?? 'kind of'} message Camarad does not show. Open it on the phone.
        </p>
      )
    default:
      return <p className="italic opacity-80">A {message.type} message Camarad does not show.</p>
  }
}
