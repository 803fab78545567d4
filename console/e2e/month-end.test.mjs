// Month-end close in the console (#17): an accountant opens 期末结账, tries to close the earliest open
// period of the demo data before carrying forward profit and loss (the server refuses, in Chinese),
// runs 结转损益, closes the period and sees it closed; the API agrees. A reopen without a reason is
// refused under its field. A cashier (finance.view, no finance.period) has no such menu entry.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api, apiToken } from './jxc-server.mjs'
import { launch, withPage, signIn } from './browser.mjs'

const ACCOUNTANT = { username: 'kuaiji', role: 'accountant', password: 'accountant-pass-1' }
const CASHIER = { username: 'chuna', role: 'cashier', password: 'cashier-pass-1' }
const PERIODS = `{ accountingPeriods { period status closedBy closedAt } }`
let server
let browser

before(async () => {
  server = await startServer([ACCOUNTANT, CASHIER])
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

test('an accountant carries forward profit and loss and closes the open period', { timeout: 60_000 }, async () => {
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  // the period comes from the demo data, never from today's date
  const open = (await api(server.base, PERIODS, {}, admin)).accountingPeriods.filter((p) => p.status === 'open').map((p) => p.period).sort((a, b) => a - b)
  assert.ok(open.length > 1, 'the demo data has its opening period and a month of business open')
  // the demo went live with an opening entry (期初建账) in the month before go-live: no income or
  // expense there, so it closes at once; the month after it holds the business
  const [opening, period] = open

  await withPage(browser, 'month-end-accountant', async (page) => {
    await signIn(page, server.base, ACCOUNTANT.username, ACCOUNTANT.password)
    await page.locator('[data-test=menu]').getByText('期末结账').click()
    await page.locator('[data-test=month-end-open-period]').filter({ hasText: String(opening) }).waitFor()
    await page.click('[data-test=month-end-close]')
    const first = page.locator('[data-test=month-end-periods] .el-table__body tr', { hasText: String(opening) })
    await first.locator('[data-status=closed]').waitFor()
    await page.locator('[data-test=month-end-open-period]').filter({ hasText: String(period) }).waitFor()
    const row = page.locator('[data-test=month-end-periods] .el-table__body tr', { hasText: String(period) })
    await row.locator('[data-status=open]').waitFor()

    // closing first: income and expense accounts still hold balances — the server's message, in Chinese
    await page.click('[data-test=month-end-close]')
    await page.locator('[data-test=errors]').getByText('请先结转损益').waitFor()

    await page.click('[data-test=month-end-profit]')
    await page.locator('[data-test=month-end-result-profit]').getByText('已生成').waitFor()
    assert.equal(await page.locator('[data-test=errors]').count(), 0)

    await page.click('[data-test=month-end-close]')
    await row.locator('[data-status=closed]').waitFor()
    await row.getByText(ACCOUNTANT.username).waitFor()
    // the next open period (if any) is now the one to close
    if (open[2]) await page.locator('[data-test=month-end-open-period]').filter({ hasText: String(open[2]) }).waitFor()

    // reopening asks for a reason; without one the server refuses under the field, and nothing changes
    await row.locator('[data-test=month-end-reopen]').click()
    await page.click('[data-test=month-end-reopen-confirm]')
    await page.locator('.el-dialog .el-form-item__error').waitFor()
    await page.locator('.el-dialog').getByRole('button', { name: '取消' }).click()
    await row.locator('[data-status=closed]').waitFor()
  })

  const closed = (await api(server.base, PERIODS, {}, admin)).accountingPeriods.find((p) => p.period === period)
  assert.equal(closed.status, 'closed')
  assert.match(closed.closedBy, new RegExp(ACCOUNTANT.username))
  assert.ok(closed.closedAt)
})

test('a user without finance.period has no month-end close in the menu', { timeout: 30_000 }, async () => {
  await withPage(browser, 'month-end-cashier', async (page) => {
    await signIn(page, server.base, CASHIER.username, CASHIER.password)
    const menu = page.locator('[data-test=menu]')
    await menu.getByText('凭证').first().waitFor() // the finance group is there (finance.view) …
    assert.equal(await menu.getByText('期末结账').count(), 0) // … without the close
  })
})
