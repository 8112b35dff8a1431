import type { Generated } from 'kysely'
import type { IncidentImpact, IncidentStatus } from '../../../contracts/status.ts'
import type { NullableTimestamp, Timestamp } from '../../platform/db/columns.ts'

/** An incident the operator posts on the status page; its status is its latest update's. */
export type StatusIncidentsTable = {
  id: string
  title: string
  impact: IncidentImpact
  status: IncidentStatus
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
  resolvedAt: NullableTimestamp
}

/** What the operator said, in order (append-only, DB trigger). */
export type StatusIncidentUpdatesTable = {
  id: string
  incidentId: string
  status: IncidentStatus
  message: string
  createdAt: Generated<Date>
}

/** One row per process working jobs, beaten every few seconds: the status page's "workers" signal. */
export type OpsWorkerHeartbeatsTable = {
  processId: string
  hostname: string
  pid: number
  startedAt: Generated<Date>
  beatAt: Timestamp
}

export type OpsTables = {
  statusIncidents: StatusIncidentsTable
  statusIncidentUpdates: StatusIncidentUpdatesTable
  opsWorkerHeartbeats: OpsWorkerHeartbeatsTable
}
