import { useInfiniteQuery, useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query'
import type { InfiniteData } from '@tanstack/react-query'
import { useState } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { notifyError } from '../../lib/error-toast.ts'
import { canEdit } from '../../lib/roles.ts'
import { PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { crmKeys, getContact, listDeals, listPipelines, patchDeal } from './api.ts'
import type { Deal, Page, Pipeline } from './api.ts'
import { ClientGate } from './ClientGate.tsx'
import { DealCard } from './DealCard.tsx'
import { LostReasonDialog } from './LostReasonDialog.tsx'
import { formatMoney } from './format.ts'

/** /app/crm/deals: the default pipeline as a board; cards move by drag and drop or their "Move to…" menu. */
export function DealsPage() {
  return <ClientGate title="Deals">{(c) => <ClientDeals clientId={c.id} clientName={c.name} />}</ClientGate>
}

function ClientDeals({ clientId, clientName }: { clientId: string; clientName: string }) {
  const pipelines = useQuery({
    queryKey: crmKeys.pipelines(clientId),
    queryFn: ({ signal }) => listPipelines(clientId, signal),
  })
  return (
    <>
      <PageHeader
        title="Deals"
        description={
          <>
            The pipeline of <strong className="font-semibold text-slate-900">{clientName}</strong>.
          </>
        }
      />
      <QueryState query={pipelines} label="Loading the pipeline…">
        {(data) => {
          const pipeline = data.items.find((p) => p.isDefault) ?? data.items[0]
          if (!pipeline) return <EmptyState title="No pipeline yet" />
          return <Board clientId={clientId} pipeline={pipeline} />
        }}
      </QueryState>
    </>
  )
}

type Move = { deal: Deal; stageId: string; position: number; lostReason?: string }
type Deals = InfiniteData<Page<Deal>, string | undefined>

function Board({ clientId, pipeline }: { clientId: string; pipeline: Pipeline }) {
  const editor = canEdit(useWorkspace().role)
  const qc = useQueryClient()
  const { notify } = useToast()
  const key = crmKeys.deals(clientId, pipeline.id)
  const [lost, setLost] = useState<Move | null>(null)
  const [dragging, setDragging] = useState<string | null>(null)
  const query = useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam, signal }) => listDeals(clientId, pipeline.id, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  const deals = query.data?.pages.flatMap((p) => p.items) ?? []
  const contactIds = [...new Set(deals.map((d) => d.contactId))]
  const contacts = useQueries({
    queries: contactIds.map((id) => ({
      queryKey: crmKeys.contact(clientId, id),
      queryFn: ({ signal }: { signal: AbortSignal }) => getContact(clientId, id, signal),
      staleTime: 60_000,
    })),
  })
  const names = new Map(contacts.flatMap((c) => (c.data ? [[c.data.id, c.data.name] as const] : [])))
  const stages = [...pipeline.stages].sort((a, b) => a.position - b.position)
  const outcomeOf = (stageId: string) => stages.find((s) => s.id === stageId)?.outcome ?? 'open'
  const move = useMutation({
    mutationFn: (m: Move) =>
      patchDeal(clientId, m.deal.id, {
        stageId: m.stageId,
        position: m.position,
        ...(m.lostReason ? { lostReason: m.lostReason } : {}),
      }),
    onMutate: async (m) => {
      await qc.cancelQueries({ queryKey: key })
      const before = qc.getQueryData<Deals>(key)
      qc.setQueryData<Deals>(key, (old) =>
        old
          ? {
              ...old,
              pages: old.pages.map((p) => ({
                ...p,
                items: p.items.map((d) =>
                  d.id === m.deal.id
                    ? { ...d, stageId: m.stageId, position: m.position, status: outcomeOf(m.stageId) }
                    : d,
                ),
              })),
            }
          : old,
      )
      return { before }
    },
    onError: (e, _m, ctx) => {
      if (ctx?.before) qc.setQueryData(key, ctx.before)
      notifyError(notify, e)
    },
    onSuccess: (d) => {
      const stage = stages.find((s) => s.id === d.stageId)
      notify(
        d.status === 'won' ? `${d.title}: won` : d.status === 'lost' ? `${d.title}: lost` : `Moved to ${stage?.name}`,
      )
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: key }),
  })
  const moveTo = (deal: Deal, stageId: string) => {
    if (deal.stageId === stageId) return
    const inStage = deals.filter((d) => d.stageId === stageId && d.id !== deal.id)
    const position = inStage.length ? Math.max(...inStage.map((d) => d.position)) + 1 : 0
    const m = { deal, stageId, position }
    if (outcomeOf(stageId) === 'lost') setLost(m)
    else move.mutate(m)
  }
  return (
    <QueryState query={query} label="Loading deals…">
      {() => (
        <>
          {deals.length === 0 && (
            <p className="mb-4 text-sm text-slate-600">
              No deals yet: they are created with a contact (from an import, a flow or the API).
            </p>
          )}
          <div role="list" aria-label={`${pipeline.name} stages`} className="flex snap-x gap-3 overflow-x-auto pb-3">
            {stages.map((stage) => {
              const cards = deals.filter((d) => d.stageId === stage.id).sort((a, b) => a.position - b.position)
              const totals = new Map<string, number>()
              for (const d of cards) totals.set(d.currency, (totals.get(d.currency) ?? 0) + d.valueMinor)
              return (
                <section
                  role="listitem"
                  key={stage.id}
                  aria-label={stage.name}
                  data-testid="stage-column"
                  onDragOver={(e) => {
                    if (dragging) e.preventDefault()
                  }}
                  onDrop={(e) => {
                    e.preventDefault()
                    const deal = deals.find((d) => d.id === e.dataTransfer.getData('text/plain'))
                    setDragging(null)
                    if (deal) moveTo(deal, stage.id)
                  }}
                  className="flex w-72 max-w-[85vw] shrink-0 snap-start flex-col rounded-lg border border-slate-200 bg-slate-50"
                >
                  <header className="border-b border-slate-200 px-3 py-2">
                    <h2 className="text-sm font-semibold text-slate-900">
                      {stage.name} <span className="font-normal text-slate-500">({cards.length})</span>
                    </h2>
                    <p className="text-xs text-slate-500">
                      {[...totals].map(([c, v]) => formatMoney(v, c)).join(' · ') || 'Nothing here'}
                    </p>
                  </header>
                  <ul className="flex min-h-24 flex-1 flex-col gap-2 p-2">
                    {cards.map((d) => (
                      <DealCard
                        key={d.id}
                        deal={d}
                        contactName={names.get(d.contactId)}
                        stages={stages}
                        canMove={editor}
                        onMove={(stageId) => moveTo(d, stageId)}
                        onDragStart={() => setDragging(d.id)}
                        onDragEnd={() => setDragging(null)}
                      />
                    ))}
                  </ul>
                </section>
              )
            })}
          </div>
          <LoadMore query={query} />
          <LostReasonDialog
            open={lost !== null}
            title={lost ? `Why was "${lost.deal.title}" lost?` : ''}
            onCancel={() => setLost(null)}
            onConfirm={(reason) => {
              if (lost) move.mutate({ ...lost, lostReason: reason })
              setLost(null)
            }}
          />
        </>
      )}
    </QueryState>
  )
}
