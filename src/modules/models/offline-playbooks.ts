/** What the offline model suggests, by the kind of role the agent plays. Plain next steps a person can act on. */
export type Playbook = { match: RegExp; intro: string; title: string; steps: string[] }

const PLAYBOOKS: Playbook[] = [
  {
    match: /\b(ppc|ads|adwords|paid|sem|ad)\b|advertis/i,
    intro: 'here is how I would work through this paid-search question:',
    title: 'Next steps for the campaigns',
    steps: [
      'Pull the last 30 days by campaign — spend, clicks, conversions, cost per conversion and ROAS — and compare them with the 30 days before.',
      'Open the search terms report, find queries that spend without converting, and add them as negative keywords.',
      'Shift budget from campaigns above the target CPA to those below it, at most 20% at a time so bidding does not relearn from scratch.',
      'For the top-spending ad groups, check that the ad and the landing page make the same promise; test one new headline at a time.',
    ],
  },
  {
    match: /\b(seo|search engine|content|blog|editorial)\b/i,
    intro: 'here is how I would approach this from a search and content angle:',
    title: 'Next steps for search and content',
    steps: [
      'List the pages that cover this topic and check their clicks, impressions and average position in Search Console for the last three months.',
      'Work out the intent behind the main queries and make sure exactly one page answers each intent, so pages do not compete with each other.',
      'Fix the basics first: the page is indexable, has a clear title and meta description, loads fast and is linked from related pages.',
      'Turn the gaps you find into a short content plan: one primary keyword per page, updated pages before new ones.',
    ],
  },
  {
    match: /\b(copy|copywriter|writer|writing|messaging)\b/i,
    intro: 'here is how I would shape the copy:',
    title: 'Next steps for the copy',
    steps: [
      'Name the audience, the one action you want from them, and the objection most likely to stop them.',
      'Write the promise as a headline of ten words or fewer, then back it with one proof point: a number, a customer or a guarantee.',
      'Draft two or three versions that differ in angle, not only in wording, so a test can tell them apart.',
      'Read it aloud, cut every word that does not help the reader decide, and end with a single clear call to action.',
    ],
  },
  {
    match: /\b(data|analytics|analyst|ga4|reporting|insights?|measurement)\b/i,
    intro: 'here is how I would answer this with data:',
    title: 'Next steps for the analysis',
    steps: [
      'Turn the question into a metric, a segment and a date range, and confirm how that metric is tracked (GA4 event, conversion, ad platform).',
      'Compare the period with the one before and with the same period last year, to separate a trend from seasonality.',
      'Break the change down by channel, device and landing page to see where it comes from.',
      'Check data quality (consent mode, tagging, filters) before acting, then write down the finding, the likely cause and the next test.',
    ],
  },
  {
    match: /\b(support|customer|service|helpdesk|success|care)\b/i,
    intro: 'here is how I would handle this request:',
    title: 'Next steps for the customer',
    steps: [
      'Confirm what the customer is trying to do, what happened instead, and since when.',
      'Check their account or order and any recent change that could explain it.',
      'Reply with the fix or the next step and a realistic time frame, in short, plain words.',
      'Log the issue and how it was solved, so repeated problems can be fixed at the source.',
    ],
  },
]

const GENERAL: Playbook = {
  match: /$^/,
  intro: 'here is a structured way to move this forward:',
  title: 'Next steps',
  steps: [
    'Restate the goal and the deadline, and list what is already known and what is still missing.',
    'Break the work into the two or three steps that matter most, starting with the one that unblocks the others.',
    'Decide how you will tell that it worked before you start.',
    'Review the result and adjust; ask me to go deeper on any step.',
  ],
}

export const pickPlaybook = (role: string): Playbook => PLAYBOOKS.find((p) => p.match.test(role)) ?? GENERAL
