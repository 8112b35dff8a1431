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

/** A received file: shown in place when stored (pictures, audio, video), else a download, or why it is not here. */
function MediaFile({
  media,
  kind,
  caption,
}: {
  media: NonNullable<InboxMessage['media']>
  kind: string
  caption: string | null
}) {
  if (media.state === 'pending')
    return (
      <p role="status" className="mt-1 animate-pulse text-xs opacity-70">
        Downloading the file…
      </p>
    )
  if (media.state === 'too_large')
    return (
      <p className="mt-1 text-xs opacity-80">
        Too large to store here{media.bytes !== null && ` (${bytes(media.bytes)})`}: open it on the phone.
      </p>
    )
  if (media.state === 'failed')
    return <p className="mt-1 text-xs opacity-80">The file could not be fetched from WhatsApp: open it on the phone.</p>
  const label = caption ?? MEDIA_LABEL[kind] ?? 'File'
  if (media.mime.startsWith('image/'))
    return (
      <a
        href={media.url}
        target="_blank"
        rel="noopener"
        className="mt-1 block"
        aria-label={`Open ${label} in a new tab`}
      >
        <img
          src={media.url}
          alt={label}
          loading="lazy"
          className={`${kind === 'sticker' ? 'size-32' : 'max-h-72'} max-w-full rounded object-contain`}
        />
      </a>
    )
  if (media.mime.startsWith('audio/'))
    return <audio controls preload="none" src={media.url} aria-label={label} className="mt-1 w-64 max-w-full" />
  if (media.mime.startsWith('video/'))
    return (
      <video
        controls
        preload="metadata"
        src={media.url}
        aria-label={label}
        className="mt-1 max-h-72 max-w-full rounded"
      />
    )
  return (
    <a href={media.url} download className="mt-1 inline-block text-sm underline">
      Download
    </a>
  )
}

/**
 * A message's content in words: text as written; media shown in place (described only in a quote, `compact`); places,
 * reactions and unknown kinds described readably.
 */
export function MessageContent({ message, compact = false }: { message: InboxMessage; compact?: boolean }) {
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
          {!compact && message.media && <MediaFile media={message.media} kind={kind} caption={str(c.caption)} />}
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
