import { Route, Routes } from 'react-router'
import { AgentsSettingsPage } from '../modules/agents/index.ts'
import { AlertsPage } from '../modules/alerts/index.ts'
import { AuditPage } from '../modules/audit/index.ts'
import { BoardroomPage, MeetingPage } from '../modules/boardroom/index.ts'
import { NumbersPage } from '../modules/channels/index.ts'
import { ChatHomePage, ConversationPage, ConversationsPage } from '../modules/chat/index.ts'
import { ClientDetailPage, ClientsPage } from '../modules/clients/index.ts'
import {
  BookingsPage,
  CampaignPage,
  CampaignsPage,
  ContactPage,
  ContactsPage,
  DealsPage,
  NewCampaignPage,
  ImportProgressPage,
  ImportsPage,
  ImportWizardPage,
} from '../modules/crm/index.ts'
import { KnowledgePage } from '../modules/knowledge/index.ts'
import { ClientConnectorsRedirect, ConnectorsPage } from '../modules/connectors/index.ts'
import { UsagePage } from '../modules/credits/index.ts'
import { FlowEditorPage, FlowRunPage, FlowsPage } from '../modules/flows/index.ts'
import { InboxPage } from '../modules/inbox/index.ts'
import { MembersPage } from '../modules/members/index.ts'
import { ProfilePage } from '../modules/profile/index.ts'
import { ProvidersPage } from '../modules/providers/index.ts'
import { TokensPage } from '../modules/tokens/index.ts'
import { OverviewPage } from '../modules/workspaces/index.ts'
import { AppLayout } from './AppLayout.tsx'
import { BillingPage } from '../modules/plans/index.ts'
import { NotFoundPage } from '../pages/NotFoundPage.tsx'

/**
 * The signed-in app (`/app/*`): its own chunk, loaded only when someone opens the app, so the landing and public
 * pages never download its code (issue 18 §4).
 */
export function AppSection() {
  return (
    <Routes>
      <Route element={<AppLayout />}>
        <Route index element={<ChatHomePage />} />
        <Route path="chat" element={<ConversationsPage />} />
        <Route path="chat/:conversationId" element={<ConversationPage />} />
        <Route path="boardroom" element={<BoardroomPage />} />
        <Route path="boardroom/:meetingId" element={<MeetingPage />} />
        <Route path="overview" element={<OverviewPage />} />
        <Route path="clients" element={<ClientsPage />} />
        <Route path="clients/:id" element={<ClientDetailPage />} />
        <Route path="flows" element={<FlowsPage />} />
        <Route path="flows/runs/:id" element={<FlowRunPage />} />
        <Route path="flows/:id" element={<FlowEditorPage />} />
        <Route path="inbox" element={<InboxPage />} />
        <Route path="inbox/:threadId" element={<InboxPage />} />
        <Route path="numbers" element={<NumbersPage />} />
        <Route path="knowledge" element={<KnowledgePage />} />
        <Route path="connections" element={<ConnectorsPage />} />
        <Route path="clients/:id/connectors" element={<ClientConnectorsRedirect />} />
        <Route path="crm/contacts" element={<ContactsPage />} />
        <Route path="crm/contacts/:id" element={<ContactPage />} />
        <Route path="crm/deals" element={<DealsPage />} />
        <Route path="crm/bookings" element={<BookingsPage />} />
        <Route path="crm/campaigns" element={<CampaignsPage />} />
        <Route path="crm/campaigns/new" element={<NewCampaignPage />} />
        <Route path="crm/campaigns/:id" element={<CampaignPage />} />
        <Route path="crm/imports" element={<ImportsPage />} />
        <Route path="crm/imports/new" element={<ImportWizardPage />} />
        <Route path="crm/imports/:id" element={<ImportProgressPage />} />
        <Route path="settings/profile" element={<ProfilePage />} />
        <Route path="settings/members" element={<MembersPage />} />
        <Route path="settings/tokens" element={<TokensPage />} />
        <Route path="settings/providers" element={<ProvidersPage />} />
        <Route path="settings/agents" element={<AgentsSettingsPage />} />
        <Route path="settings/usage" element={<UsagePage />} />
        <Route path="settings/billing" element={<BillingPage />} />
        <Route path="settings/audit" element={<AuditPage />} />
        <Route path="alerts" element={<AlertsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  )
}
