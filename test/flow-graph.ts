/** Builders of flow graphs for tests: a node at (x, 0) named by its id, and an edge between two nodes' ports. */
export const node = (id: string, type: string, config: Record<string, unknown> = {}, x = 0) => ({
  id,
  type,
  name: id,
  position: { x, y: 0 },
  config,
})
export const edge = (from: string, to: string, fromPort = 'out', toPort = 'in') => ({ from, fromPort, to, toPort })
