import { Link } from 'react-router'
import { useAuthStatus } from '../app/session.ts'
import { LandingSearch } from '../modules/public/index.ts'
import { useTitle } from '../lib/use-title.ts'
import { buttonClass } from '../ui/Button.tsx'

const FEATURES = [
  {
    title: 'Role-grounded agents per client',
    body: 'Each client gets its own AI agents — strategist, copywriter, analyst — grounded in that client’s brief, data and history.',
  },
  {
    title: 'A boardroom of agents',
    body: 'Put several agents around one table to debate a plan, challenge each other and hand you a decision with the reasoning attached.',
  },
  {
    title: 'Google Ads and GA4',
    body: 'Connect ad accounts and analytics properties so agents read real performance before they suggest a change.',
  },
  {
    title: 'Automation flows with live logs',
    body: 'Chain steps into flows that run on a schedule or a trigger, and watch every step’s log as it happens.',
  },
  {
    title: 'WhatsApp inbox and CRM',
    body: 'Answer client conversations from one shared inbox, with contacts and deals kept alongside.',
  },
  {
    title: 'Credits ledger and Stripe plans',
    body: 'Every AI action is metered in a transparent credits ledger; plans and top-ups are billed through Stripe.',
  },
]

function Cta() {
  const status = useAuthStatus()
  const demo = (
    <Link to="/chat-demo" className={buttonClass('secondary', 'px-5 py-2.5 text-base')}>
      Try the demo
    </Link>
  )
  const pricing = (
    <Link to="/pricing" className={buttonClass('ghost', 'px-5 py-2.5 text-base')}>
      See pricing
    </Link>
  )
  if (status.data?.authenticated)
    return (
      <>
        <Link to="/app" className={buttonClass('primary', 'px-5 py-2.5 text-base')}>
          Go to your workspace
        </Link>
        {demo}
        {pricing}
      </>
    )
  return (
    <>
      <Link to="/signup" className={buttonClass('primary', 'px-5 py-2.5 text-base')}>
        Get started free
      </Link>
      {demo}
      {pricing}
      <Link to="/login" className={buttonClass('ghost', 'px-5 py-2.5 text-base')}>
        I already have an account
      </Link>
    </>
  )
}

export function LandingPage() {
  useTitle('AI agent workspace for agencies')
  return (
    <>
      <section className="bg-gradient-to-b from-indigo-50 to-slate-50">
        <div className="mx-auto max-w-4xl px-6 py-20 text-center">
          <p className="text-sm font-semibold tracking-wide text-indigo-700 uppercase">For agencies and small teams</p>
          <h1 className="mt-3 text-4xl font-bold tracking-tight text-slate-900 sm:text-5xl">
            One workspace for your agency’s AI agents
          </h1>
          <p className="mx-auto mt-5 max-w-2xl text-lg text-slate-700">
            Camarad gives every client its own team of role-grounded AI agents, connects them to your ads, analytics and
            inbox, and runs your automations — on your own server if you want.
          </p>
          <div className="mt-8 flex flex-wrap justify-center gap-3">
            <Cta />
          </div>
          <LandingSearch />
        </div>
      </section>
      <section aria-labelledby="features-title" className="mx-auto max-w-6xl px-6 py-16">
        <h2 id="features-title" className="text-2xl font-semibold tracking-tight text-slate-900">
          What you get
        </h2>
        <ul className="mt-8 grid gap-6 sm:grid-cols-2 lg:grid-cols-3">
          {FEATURES.map((f) => (
            <li key={f.title} className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
              <h3 className="font-semibold text-slate-900">{f.title}</h3>
              <p className="mt-2 text-sm leading-relaxed text-slate-600">{f.body}</p>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="selfhost-title" className="border-t border-slate-200 bg-white">
        <div className="mx-auto max-w-4xl px-6 py-16 text-center">
          <h2 id="selfhost-title" className="text-2xl font-semibold tracking-tight text-slate-900">
            Self-hostable, yours to keep
          </h2>
          <p className="mx-auto mt-4 max-w-2xl text-slate-700">
            Run Camarad on a single server with an embedded database, or scale it out with Postgres and Redis. Your
            client data stays where you put it. Invite teammates with owner, admin, member or viewer roles, and automate
            with personal API tokens.
          </p>
        </div>
      </section>
    </>
  )
}
