import Markdown from 'react-markdown'
import type { Components, UrlTransform } from 'react-markdown'
import { cx } from '../lib/cx.ts'

/** Only web and mail links survive; anything else (javascript:, data:, relative paths) loses its URL. */
export const safeUrl: UrlTransform = (url) => (/^(https?:|mailto:)/i.test(url.trim()) ? url : '')

const LINK = 'font-medium text-indigo-700 underline hover:text-indigo-900'

const components: Components = {
  a: ({ href, children }) =>
    href ? (
      <a href={href} target="_blank" rel="noopener noreferrer nofollow" className={LINK}>
        {children}
      </a>
    ) : (
      <span>{children}</span>
    ),
  // Images are shown as links: loading them would reach other hosts (and the CSP forbids it anyway).
  img: ({ src, alt }) =>
    typeof src === 'string' && src ? (
      <a href={src} target="_blank" rel="noopener noreferrer nofollow" className={LINK}>
        {alt || src}
      </a>
    ) : (
      <span>{alt}</span>
    ),
  h1: ({ children }) => <p className="mt-4 text-lg font-semibold text-slate-900">{children}</p>,
  h2: ({ children }) => <p className="mt-4 text-base font-semibold text-slate-900">{children}</p>,
  h3: ({ children }) => <p className="mt-3 font-semibold text-slate-900">{children}</p>,
  h4: ({ children }) => <p className="mt-3 font-semibold text-slate-900">{children}</p>,
  h5: ({ children }) => <p className="mt-3 font-semibold text-slate-900">{children}</p>,
  h6: ({ children }) => <p className="mt-3 font-semibold text-slate-900">{children}</p>,
  ul: ({ children }) => <ul className="list-disc space-y-1 pl-6">{children}</ul>,
  ol: ({ children, start }) => (
    <ol start={start} className="list-decimal space-y-1 pl-6">
      {children}
    </ol>
  ),
  blockquote: ({ children }) => (
    <blockquote className="border-l-4 border-slate-300 pl-3 text-slate-600">{children}</blockquote>
  ),
  pre: ({ children }) => (
    <pre className="overflow-x-auto rounded-md bg-slate-900 p-3 text-sm text-slate-100">{children}</pre>
  ),
  hr: () => <hr className="border-slate-200" />,
}

/**
 * An answer's markdown as React elements. Raw HTML is dropped (`skipHtml`), URLs pass `safeUrl`, links open
 * in a new tab without the opener or referrer. Headings become bold paragraphs: the page owns the outline.
 */
export function MessageMarkdown({ source }: { source: string }) {
  return (
    <div
      className={cx(
        'space-y-3 leading-relaxed break-words text-slate-800',
        '[&_:not(pre)>code]:rounded [&_:not(pre)>code]:bg-slate-100',
        '[&_:not(pre)>code]:px-1 [&_:not(pre)>code]:py-0.5',
        '[&_:not(pre)>code]:text-[0.9em]',
      )}
    >
      <Markdown skipHtml urlTransform={safeUrl} components={components}>
        {source}
      </Markdown>
    </div>
  )
}
