import { lazy, Suspense } from 'react'
import { Route, Routes } from 'react-router'
import { PricingPage } from '../modules/plans/index.ts'
import { DemoPage } from '../modules/public/index.ts'
import { StatusPage } from '../modules/status/index.ts'
import { InvitePage } from '../pages/InvitePage.tsx'
import { LandingPage } from '../pages/LandingPage.tsx'
import { LegalPage } from '../pages/LegalPage.tsx'
import { LoginPage } from '../pages/LoginPage.tsx'
import { NotFoundPage } from '../pages/NotFoundPage.tsx'
import { OnboardingPage } from '../pages/OnboardingPage.tsx'
import { SignupPage } from '../pages/SignupPage.tsx'
import { ForgotPasswordPage } from '../pages/ForgotPasswordPage.tsx'
import { ResetPasswordPage } from '../pages/ResetPasswordPage.tsx'
import { VerifyEmailPage } from '../pages/VerifyEmailPage.tsx'
import { AuthLayout, PublicLayout } from './PublicLayout.tsx'
import { Spinner } from '../ui/Spinner.tsx'

/** The app and the operator console load on demand: the public pages' chunk holds neither. */
const App = lazy(() => import('./app-routes.tsx').then((m) => ({ default: m.AppSection })))
const Operator = lazy(() => import('../modules/operator/index.ts').then((m) => ({ default: m.OperatorPage })))

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<PublicLayout />}>
        <Route index element={<LandingPage />} />
        <Route path="terms" element={<LegalPage key="terms" doc="terms" />} />
        <Route path="privacy" element={<LegalPage key="privacy" doc="privacy" />} />
        <Route path="legal" element={<LegalPage key="legal" doc="legal" />} />
        <Route path="refunds" element={<LegalPage key="refunds" doc="refunds" />} />
        <Route path="dpa" element={<LegalPage key="dpa" doc="dpa" />} />
        <Route path="subprocessors" element={<LegalPage key="subprocessors" doc="subprocessors" />} />
        <Route path="cookies" element={<LegalPage key="cookies" doc="cookies" />} />
        <Route path="chat-demo" element={<DemoPage />} />
        <Route path="pricing" element={<PricingPage />} />
        <Route path="status" element={<StatusPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
      <Route element={<AuthLayout />}>
        <Route path="login" element={<LoginPage />} />
        <Route path="signup" element={<SignupPage />} />
        <Route path="onboarding" element={<OnboardingPage />} />
        <Route path="invite/:token" element={<InvitePage />} />
        <Route path="verify-email" element={<VerifyEmailPage />} />
        <Route path="forgot-password" element={<ForgotPasswordPage />} />
        <Route path="reset-password" element={<ResetPasswordPage />} />
      </Route>
      <Route
        path="operator"
        element={
          <Suspense fallback={<Spinner label="Loading…" />}>
            <Operator />
          </Suspense>
        }
      />
      <Route
        path="app/*"
        element={
          <Suspense fallback={<Spinner label="Loading Camarad…" />}>
            <App />
          </Suspense>
        }
      />
    </Routes>
  )
}
