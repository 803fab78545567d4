// Accessibility (#17): axe-core on the main screens of every role, signed in as the administrator on
// the demo company — no serious or critical finding. axe is injected into the page (bypassing the
// Content-Security-Policy for the test only: the served console never loads it).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { readFileSync, writeFileSync } from 'node:fs'
import { ARTIFACTS, startServer } from './jxc-server.mjs'
import { launch, signIn } from './browser.mjs'

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const SCREENS = [
  ['/dashboard', '[data-test=menu]'],
  ['/approvals', '[data-test=menu]'],
  ['/catalog/products', '.el-table__body'],
  ['/partners/customers', '.el-table__body'],
  ['/purchasing/orders', '.el-table__body'],
  ['/purchasing/orders/new', 'form'],
  ['/sales/orders', '.el-table__body'],
  ['/inventory/stock', '.el-table__body'],
  ['/inventory/available-to-sell', '.el-table__body'],
  ['/finance/vouchers', '.el-table__body'],
  ['/finance/statements', '[data-test=menu]'],
  ['/reporting/sales', '[data-test=menu]'],
  ['/admin/users', '.el-table__body'],
  ['/admin/imports', 'form'],
]
let server
let browser

before(async () => {
  server = await startServer([])
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

test('the main screens have no serious or critical axe-core findings', { timeout: 240_000 }, async () => {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1400, height: 900 }, bypassCSP: true })
  const page = await context.newPage()
  const findings = []
  try {
    await signIn(page, server.base, 'admin', server.adminPassword)
    for (const [path, ready] of SCREENS) {
      await page.goto(`${server.base}${path}`)
      await page.locator(ready).first().waitFor()
      await page.waitForLoadState('networkidle')
      await page.addScriptTag({ content: AXE })
      const result = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { resultTypes: ['violations'] })
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')} ${n.html.slice(0, 160)}`) }))
      })
      for (const v of result) if (v.impact === 'serious' || v.impact === 'critical') findings.push({ path, ...v })
    }
  } finally {
    await context.close()
  }
  writeFileSync(join(ARTIFACTS, 'axe-findings.json'), JSON.stringify(findings, null, 1))
  assert.deepEqual(findings.map((f) => `${f.path} ${f.id}`), [], 'see e2e/artifacts/axe-findings.json')
})
