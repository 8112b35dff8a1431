/** Flows: the client's automations — list and runs, the canvas editor, run traces and the live run console. */
export { FlowEditorPage, FlowRunConsole, FlowRunPage, FlowsPage } from './pages.tsx'
