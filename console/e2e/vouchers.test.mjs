// Manual vouchers in the console (#17): an accountant enters a 记账凭证 on the page — an unbalanced one
// is refused by the server (its message shows), a balanced one is saved as a draft and opens; the
// accountant may not review their own voucher (the server says so); a finance manager reviews and
// posts it. The API agrees: posted, numbered 记-….
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api, apiToken } from './jxc-server.mjs'
import { launch, withPage, signIn } from './browser.mjs'

const ACCOUNTANT = { username: 'kuaiji', role: 'accountant', password: 'accountant-pass-1' }
const MANAGER = { username: 'zhuguan', role: 'finance_manager', password: 'manager-pass-1' }
const MEMO = '备用金提现 e2e'
const VOUCHERS = `{ vouchers(first: 50) { edges { node { id number status memo total createdBy reviewedBy postedBy } } } }`
let server
let browser

before(async () => {
  server = await startServer([ACCOUNTANT, MANAGER])
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

async function pickAccount(page, i, code) {
  const select = page.locator(`[data-test=line-account-${i}]`)
  await select.click()
  await select.locator('input').fill(code)
  await page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: code }).first().click()
  // the dropdown fades out: wait until none shows, or the next line's pick may find this one's options
  await page.waitForFunction(() => ![...document.querySelectorAll('.el-select-dropdown')].some((d) => d.offsetParent !== null))
}

test('an accountant enters a balanced voucher; another user reviews and posts it', { timeout: 90_000 }, async () => {
  await withPage(browser, 'vouchers-accountant', async (page) => {
    await signIn(page, server.base, ACCOUNTANT.username, ACCOUNTANT.password)
    await page.locator('[data-test=menu]').getByText('凭证').first().click()
    await page.click('[data-test=voucher-new]')
    // the date stays today's (the server's business-date rule: never after today)
    await page.fill('[data-test=voucher-memo]', MEMO)
    await pickAccount(page, 0, '1001')
    await page.fill('[data-test=line-debit-0]', '500')
    await pickAccount(page, 1, '1002')
    await page.fill('[data-test=line-credit-1]', '300')
    await page.locator('[data-test=voucher-balance][data-balanced=false]').waitFor()

    // unbalanced: the page only shows it; the server refuses
    await page.click('[data-test=voucher-save]')
    await page.locator('[data-test=errors]').getByText(/借贷|平衡|不平/).first().waitFor()

    await page.fill('[data-test=line-credit-1]', '500')
    await page.locator('[data-test=voucher-balance][data-balanced=true]').waitFor()
    await page.click('[data-test=voucher-save]')
    // back on the list with the new draft open
    const detail = page.locator('[data-test=voucher-detail]')
    await detail.locator('[data-test=voucher-status][data-status=draft]').waitFor()
    await detail.getByText(MEMO).first().waitFor()
    assert.equal(await detail.locator('[data-test=voucher-lines] .el-table__body tr').count(), 2)

    // separation of duties: the preparer may not review it
    await detail.locator('[data-test=voucher-review]').click()
    await detail.locator('[data-test=errors]').getByText('职责分离').waitFor()
    await detail.locator('[data-test=voucher-status][data-status=draft]').waitFor()
  })

  await withPage(browser, 'vouchers-manager', async (page) => {
    await signIn(page, server.base, MANAGER.username, MANAGER.password)
    await page.locator('[data-test=menu]').getByText('凭证').first().click()
    const row = page.locator('[data-test=vouchers] .el-table__body tr', { hasText: MEMO })
    await row.locator('[data-test=voucher-view]').click()
    const detail = page.locator('[data-test=voucher-detail]')
    await detail.locator('[data-test=voucher-review]').click()
    await detail.locator('[data-test=voucher-status][data-status=reviewed]').waitFor()
    await detail.locator('[data-test=voucher-post]').click()
    await detail.locator('[data-test=voucher-status][data-status=posted]').waitFor()
    await detail.locator('[data-test=voucher-number]').filter({ hasText: /^记-\d+/ }).waitFor()

    // the posted line is in the bank account's detail ledger (default account 1002, this month) …
    await page.goto(`${server.base}/finance/ledgers`)
    await page.click('[data-test=ledger-search]')
    await page.locator('[data-test=ledger-lines] .el-table__body tr', { hasText: MEMO }).waitFor()
    // … and the receivables aging opens a customer's statement
    await page.locator('[data-test=menu]').getByText('应收应付账龄').click()
    await page.locator('[data-test=aging] .el-table__body tr .el-link').first().click()
    await page.locator('[data-test=pstmt-summary]').waitFor()
  })

  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  const mine = (await api(server.base, VOUCHERS, {}, admin)).vouchers.edges.map((e) => e.node).filter((v) => v.memo === MEMO)
  assert.equal(mine.length, 1, 'the unbalanced attempt wrote nothing')
  const [v] = mine
  assert.equal(v.status, 'posted')
  assert.match(v.number, /^记-\d{4}$/)
  assert.equal(v.total, '500.00')
  assert.match(v.createdBy, new RegExp(ACCOUNTANT.username))
  assert.match(v.reviewedBy, new RegExp(MANAGER.username))
  assert.match(v.postedBy, new RegExp(MANAGER.username))
})
