import { notifyError } from '../../lib/error-toast.ts'
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useRef, useState } from 'react'
import type { DragEvent, FormEvent } from 'react'
import { KNOWLEDGE_MAX_BYTES } from '../../../../contracts/knowledge.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { cx } from '../../lib/cx.ts'
import { formatCount, formatDateTime } from '../../lib/format.ts'
import { canManage } from '../../lib/roles.ts'
import { useDebounced } from '../../lib/use-debounced.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Badge } from '../../ui/Badge.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { ConfirmDialog } from '../../ui/Dialog.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Skeleton } from '../../ui/Skeleton.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { NoClientYet, useCurrentClient } from '../clients/index.ts'
import {
  addDocument,
  deleteDocument,
  fileToBase64,
  knowledgeKeys,
  listDocuments,
  searchKnowledge,
  type KnowledgeDocument,
} from './api.ts'

const ACCEPT = '.pdf,.docx,.md,.markdown,.txt,application/pdf,text/plain,text/markdown'
const KIND_LABEL: Record<KnowledgeDocument['kind'], string> = {
  pdf: 'PDF',
  docx: 'Word',
  markdown: 'Markdown',
  text: 'Text',
  web: 'Web page',
}

/** /app/knowledge: the current client's knowledge base — add files and pages, see them read, search passages. */
export function KnowledgePage() {
  useTitle('Knowledge')
  const { query, client } = useCurrentClient()
  if (query.isPending) return <Skeleton label="Loading clients…" variant="page" />
  if (!client)
    return (
      <>
        <PageHeader title="Knowledge" />
        {query.isError ? (
          <Alert tone="error" title="Could not load clients">
            {errorMessage(query.error)}
          </Alert>
        ) : (
          <NoClientYet>
            A knowledge base holds a client's brief, price list and pages. Add the first client.
          </NoClientYet>
        )}
      </>
    )
  return <ClientKnowledge key={client.id} clientId={client.id} clientName={client.name} />
}

function ClientKnowledge({ clientId, clientName }: { clientId: string; clientName: string }) {
  const admin = canManage(useWorkspace().role)
  return (
    <>
      <PageHeader
        title="Knowledge"
        description={
          <>
            What the agents know about <strong className="font-semibold text-slate-900">{clientName}</strong>: they
            search these documents and cite them in their answers.
          </>
        }
      />
      <div className="space-y-6">
        {admin && <AddDocuments clientId={clientId} />}
        <SearchPassages clientId={clientId} />
        <Documents clientId={clientId} admin={admin} />
      </div>
    </>
  )
}

function AddDocuments({ clientId }: { clientId: string }) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const input = useRef<HTMLInputElement>(null)
  const [dragging, setDragging] = useState(false)
  const [url, setUrl] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const refresh = () => qc.invalidateQueries({ queryKey: knowledgeKeys.all(clientId) })
  const files = useMutation({
    mutationFn: async (list: File[]) => {
      const failed: string[] = []
      for (const file of list) {
        try {
          if (file.size > KNOWLEDGE_MAX_BYTES) throw new Error('it is larger than 10 MB')
          await addDocument(clientId, { name: file.name, contentBase64: await fileToBase64(file) })
          notify(`“${file.name}” added: reading its text…`)
        } catch (e) {
          failed.push(`${file.name}: ${errorMessage(e)}`)
        }
      }
      return failed
    },
    onSuccess: async (failed) => {
      setProblem(failed.length ? failed.join(' · ') : null)
      if (failed.length) notify(`${failed.length} file(s) could not be added`, 'error')
      await refresh()
    },
  })
  const page = useMutation({
    mutationFn: () => addDocument(clientId, { url: url.trim() }),
    onSuccess: async () => {
      notify('Page added: reading it…')
      setUrl('')
      setProblem(null)
      await refresh()
    },
    onError: (e) => {
      setProblem(errorMessage(e))
      notifyError(notify, e)
    },
  })
  const take = (list: FileList | null) => {
    if (list?.length) files.mutate([...list])
  }
  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setDragging(false)
    take(e.dataTransfer.files)
  }
  const submitPage = (e: FormEvent) => {
    e.preventDefault()
    if (url.trim()) page.mutate()
  }
  return (
    <Card title="Add to the knowledge base" description="PDF, Word (.docx), Markdown or text, up to 10 MB each.">
      <div
        onDragOver={(e) => {
          e.preventDefault()
          setDragging(true)
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        className={cx(
          'flex flex-col items-center gap-2 rounded-lg border-2 border-dashed px-4 py-6 text-center text-sm',
          dragging ? 'border-indigo-500 bg-indigo-50' : 'border-slate-300 text-slate-600',
        )}
      >
        <p>Drop files here, or</p>
        <Button variant="secondary" pending={files.isPending} onClick={() => input.current?.click()}>
          Choose files
        </Button>
        <input
          ref={input}
          type="file"
          multiple
          accept={ACCEPT}
          aria-label="Files to add"
          className="sr-only"
          onChange={(e) => {
            take(e.target.files)
            e.target.value = ''
          }}
        />
      </div>
      <form onSubmit={submitPage} className="mt-4 flex items-end gap-2">
        <Field label="Or a web page" className="flex-1">
          {(p) => (
            <Input
              {...p}
              type="url"
              placeholder="https://example.com/prices"
              value={url}
              onChange={(e) => setUrl(e.target.value)}
            />
          )}
        </Field>
        <Button type="submit" pending={page.isPending} disabled={!url.trim()}>
          Add page
        </Button>
      </form>
      {problem && (
        <p role="alert" className="mt-3 text-sm text-red-700">
          {problem}
        </p>
      )}
    </Card>
  )
}

function SearchPassages({ clientId }: { clientId: string }) {
  const [text, setText] = useState('')
  const q = useDebounced(text.trim(), 300)
  const query = useQuery({
    queryKey: knowledgeKeys.search(clientId, q),
    queryFn: ({ signal }) => searchKnowledge(clientId, q, signal),
    enabled: q.length >= 2,
    placeholderData: keepPreviousData,
  })
  return (
    <Card title="Search" description="Find the passages an agent would read: words, “a phrase”, -excluded.">
      <div role="search">
        <Field label="Search the knowledge base">
          {(p) => (
            <Input
              {...p}
              type="search"
              placeholder="e.g. catering price"
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
          )}
        </Field>
      </div>
      {q.length >= 2 && (
        <div className="mt-4">
          <QueryState query={query} label="Searching…">
            {(result) =>
              result.items.length === 0 ? (
                <p className="text-sm text-slate-600">No passage matches “{q}”.</p>
              ) : (
                <>
                  <p className="mb-2 text-xs text-slate-500" data-testid="search-mode">
                    {result.mode === 'hybrid' ? 'Matched by words and by meaning' : 'Matched by words'}
                  </p>
                  <ol aria-label="Passages" className="space-y-3">
                    {result.items.map((p) => (
                      <li key={`${p.documentId}:${p.passage}`} className="rounded-md border border-slate-200 p-3">
                        <p className="text-xs font-medium text-slate-500">
                          {p.documentName}
                          {p.page !== null ? ` · page ${p.page}` : ''} · passage {p.passage}
                        </p>
                        <p className="mt-1 line-clamp-6 text-sm whitespace-pre-line text-slate-800">{p.text}</p>
                      </li>
                    ))}
                  </ol>
                </>
              )
            }
          </QueryState>
        </div>
      )}
    </Card>
  )
}

function StatusBadge({ doc }: { doc: KnowledgeDocument }) {
  if (doc.status === 'pending') return <Badge tone="amber">Reading…</Badge>
  if (doc.status === 'failed') return <Badge tone="red">Failed</Badge>
  return (
    <Badge tone="green">
      Ready · {formatCount(doc.passages)} {doc.passages === 1 ? 'passage' : 'passages'}
    </Badge>
  )
}

function Documents({ clientId, admin }: { clientId: string; admin: boolean }) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [deleting, setDeleting] = useState<KnowledgeDocument | null>(null)
  const query = useInfiniteQuery({
    queryKey: knowledgeKeys.list(clientId),
    queryFn: ({ pageParam, signal }) => listDocuments(clientId, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // While a document is being read, look again every few seconds until it is ready or failed.
    refetchInterval: (q) =>
      q.state.data?.pages.some((p) => p.items.some((d) => d.status === 'pending')) ? 2000 : false,
  })
  const remove = useMutation({
    mutationFn: (doc: KnowledgeDocument) => deleteDocument(clientId, doc.id),
    onSuccess: async (_, doc) => {
      setDeleting(null)
      notify(`“${doc.name}” deleted`)
      await qc.invalidateQueries({ queryKey: knowledgeKeys.all(clientId) })
    },
  })
  return (
    <section aria-labelledby="knowledge-documents">
      <h2 id="knowledge-documents" className="mb-2 text-base font-semibold text-slate-900">
        Documents
      </h2>
      <QueryState query={query} label="Loading documents…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (!items.length)
            return (
              <EmptyState title="No documents yet">
                {admin
                  ? 'Add a brief, a brand guide, a price list or a page of the site: the agents will cite them.'
                  : 'An admin adds the documents the agents can cite.'}
              </EmptyState>
            )
          return (
            <>
              <ul
                aria-label="Knowledge documents"
                className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white"
              >
                {items.map((d) => (
                  <li key={d.id} className="flex flex-wrap items-start justify-between gap-3 p-3">
                    <div className="min-w-0">
                      <p className="truncate font-medium text-slate-900">
                        {d.url ? (
                          <a href={d.url} target="_blank" rel="noreferrer noopener" className="hover:underline">
                            {d.name}
                          </a>
                        ) : (
                          d.name
                        )}
                      </p>
                      <p className="mt-0.5 text-xs text-slate-500">
                        {KIND_LABEL[d.kind]}
                        {d.pages !== null ? ` · ${formatCount(d.pages)} pages` : ''}
                        {d.bytes !== null ? ` · ${Math.max(1, Math.round(d.bytes / 1024))} KB` : ''} · added{' '}
                        {formatDateTime(d.createdAt)}
                      </p>
                      {d.status === 'failed' && d.error && <p className="mt-1 text-sm text-red-700">{d.error}</p>}
                    </div>
                    <div className="flex items-center gap-2">
                      <StatusBadge doc={d} />
                      {admin && (
                        <Button
                          variant="ghost"
                          onClick={() => {
                            remove.reset()
                            setDeleting(d)
                          }}
                        >
                          Delete
                        </Button>
                      )}
                    </div>
                  </li>
                ))}
              </ul>
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this document?"
        message={
          <>
            “{deleting?.name}” and its passages are removed; agents will no longer find them. This is recorded in the
            audit log.
          </>
        }
        confirmLabel="Delete"
        pending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => deleting && remove.mutate(deleting)}
        onCancel={() => setDeleting(null)}
      />
    </section>
  )
}
