import { useQuery } from '@tanstack/react-query'
import type { MemberDto } from '../../../../contracts/tenancy.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { listMembers, memberKeys } from '../members/index.ts'

/** The workspace's members (owners of contacts), by user id; empty while loading or when they cannot be read. */
export const useMembers = () => {
  const { workspace } = useWorkspace()
  const query = useQuery({
    queryKey: memberKeys.members(workspace.id),
    queryFn: ({ signal }) => listMembers(workspace.id, signal),
    staleTime: 60_000,
  })
  const members: MemberDto[] = query.data?.items ?? []
  return { query, members, byId: new Map(members.map((m) => [m.userId, m])) }
}
