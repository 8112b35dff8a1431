/** The workspace overview and creating a workspace. */
export { NewWorkspaceDialog } from './NewWorkspaceDialog.tsx'
export { OverviewPage } from './OverviewPage.tsx'
