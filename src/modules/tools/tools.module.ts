import type { Egress } from '../../platform/egress/egress.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import { fetchPageTool } from './builtin-tools.ts'
import { createToolRegistry } from './tool-registry.ts'

export {
  defineTool,
  ToolRefusedError,
  type ToolContext,
  type ToolDefinition,
  type ToolRegistry,
} from './tool-registry.ts'
export { searchConversationsTool } from './builtin-tools.ts'

/** The typed tool registry every AI surface uses; modules add their tools with `registry.register(...)`. */
export const createToolsModule = (deps: { egress: Egress; stillAllowed: (scope: ClientScope) => Promise<boolean> }) => {
  const registry = createToolRegistry(deps)
  registry.register(fetchPageTool(deps.egress))
  return { registry }
}
