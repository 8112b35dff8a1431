import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

/** The web app's features meet only through each feature's index.ts; ui/ and lib/ stay below every feature. */
describe('web feature boundaries (eslint no-restricted-imports)', () => {
  const eslint = new ESLint()
  const problems = async (filePath: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath })
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
  }

  it("refuses a deep import of another feature's file from a feature", async () => {
    const found = await problems(
      'web/src/modules/chat/Planted.tsx',
      "import { useBalance } from '../credits/queries.ts'\nexport const x = useBalance\n",
    )
    expect(found).toEqual([expect.stringContaining('only through its index.ts')])
  })

  it('refuses a deep re-export too', async () => {
    const found = await problems('web/src/modules/chat/Planted.ts', "export { estimate } from '../credits/api.ts'\n")
    expect(found).toHaveLength(1)
  })

  it('refuses a deep import of a feature from app/ and pages/', async () => {
    for (const file of ['web/src/app/Planted.tsx', 'web/src/pages/Planted.tsx']) {
      const found = await problems(
        file,
        "import { LandingSearch } from '../modules/public/LandingSearch.tsx'\nexport const x = LandingSearch\n",
      )
      expect(found).toEqual([expect.stringContaining('only through its index.ts')])
    }
  })

  it('refuses any feature import from ui/ and lib/', async () => {
    for (const file of ['web/src/ui/Planted.tsx', 'web/src/lib/planted.ts']) {
      const found = await problems(
        file,
        "import { useCurrentClient } from '../modules/clients/index.ts'\nexport const x = useCurrentClient\n",
      )
      expect(found).toEqual([expect.stringContaining('never import a feature')])
    }
  })

  it("allows a feature's index, the feature's own files, ui/, lib/ and contracts/", async () => {
    const code = [
      "import { useBalance } from '../credits/index.ts'",
      "import { chatKeys } from './api.ts'",
      "import { Badge } from '../../ui/Badge.tsx'",
      "import { formatCredits } from '../../lib/credits.ts'",
      "import type { AgentDto } from '../../../../contracts/agents.ts'",
      'export const x = [useBalance, chatKeys, Badge, formatCredits] as unknown as AgentDto',
      '',
    ].join('\n')
    expect(await problems('web/src/modules/chat/Planted.tsx', code)).toEqual([])
    expect(
      await problems(
        'web/src/app/Planted.tsx',
        "import { ChatHomePage } from '../modules/chat/index.ts'\nexport const x = ChatHomePage\n",
      ),
    ).toEqual([])
  })
})
