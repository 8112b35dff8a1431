import { Button } from './Button.tsx'

/** The "Load more" button under a keyset-paged list; renders nothing when there is no next page. */
export function LoadMore({
  query,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown }
}) {
  if (!query.hasNextPage) return null
  return (
    <div className="mt-4 flex justify-center">
      <Button variant="secondary" pending={query.isFetchingNextPage} onClick={() => query.fetchNextPage()}>
        Load more
      </Button>
    </div>
  )
}
