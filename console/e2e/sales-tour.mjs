// The sales tour of the console (#17), run by purchase-order.test.mjs on its server and browser (one
// jxc server for the whole browser test keeps it near a minute): a sales clerk creates a sales order with a discount above the
// allowed 10 % and submits it (so it needs an approval); a sales manager finds it in 待我审批
// (approvalsInbox) and approves it with a comment. Asserts on the pages and on the API's data.
import assert from 'node:assert/strict'
import { api, apiToken } from './jxc-server.mjs'
import { withPage, signIn, choose } from './browser.mjs'

export const CLERK = { username: 'xiaoli', role: 'sales', password: 'sales-pass-1' }
const MANAGER = { username: 'laozhang', role: 'sales_manager', password: 'manager-pass-2' }
export const SALES_USERS = [CLERK, MANAGER]

const ORDER = `query($number: String) { salesOrders(filter: {number: $number}, first: 5) {
  edges { node { number status createdBy customer { code } warehouse { code } approvalsRequired { reason }
    lines { quantity discount reservedQuantity product { sku } } history { actor toStatus comment } } } } }`

/** A sales clerk creates and submits a sales order, a sales manager approves it from the inbox. */
export async function salesTour(server, browser) {
  let number
  await withPage(browser, 'sales-clerk', async (page) => {
    await signIn(page, server.base, CLERK.username, CLERK.password)
    const menu = page.locator('[data-test=menu]')
    await menu.getByText('销售订单').waitFor()
    assert.equal(await menu.getByText('待我审批').count(), 0) // a clerk decides nothing
    await menu.getByText('销售订单').click()
    await page.click('[data-test=so-new]')
    await page.waitForURL(/\/sales\/orders\/new/)
    await choose(page, 'customer-select', '好邻居', '上海浦东好邻居便利店')
    await page.locator('[data-test=customer-credit]').filter({ hasText: '20000' }).waitFor()
    await choose(page, 'warehouse-select', null, '上海总仓')
    await choose(page, 'product-select', 'DRK-001', 'DRK-001')
    await page.locator('[data-test=line-available]').filter({ hasText: /可用 \d/ }).waitFor()
    await page.locator('input[data-test=line-quantity]').fill('2')
    await page.locator('input[data-test=line-discount]').fill('0.15') // above max_discount: a discount step
    await page.click('[data-test=so-save]')
    await page.waitForURL(/\/sales\/orders\/(?!new)[^/]+$/)
    number = (await page.locator('[data-test=so-number]').innerText()).match(/SO\d{4}-\d{6}|SO[\w-]+/)[0]
    await page.locator('[data-test=so-status]').filter({ hasText: '草稿' }).waitFor()
    await page.click('[data-test=so-submit]')
    await page.locator('[data-test=so-status]').filter({ hasText: '待审批' }).waitFor()
  })

  await withPage(browser, 'sales-manager', async (page) => {
    await signIn(page, server.base, MANAGER.username, MANAGER.password)
    await page.locator('[data-test=menu]').getByText('待我审批').click()
    const row = page.locator('[data-test=inbox] tr', { hasText: number })
    await row.getByText('折扣超限').waitFor()
    await row.locator('input').fill('同意，老客户')
    await row.locator('[data-test=approve]').click()
    await page.locator('.el-message--success').filter({ hasText: number }).waitFor()
    await row.waitFor({ state: 'detached' })
    // the order page shows it approved
    await page.locator('[data-test=menu]').getByText('销售订单').click()
    await page.locator('[data-test=so-table] tr', { hasText: number }).getByText('已审批').waitFor()
  })

  const token = await apiToken(server.base, 'admin', server.adminPassword)
  const data = await api(server.base, ORDER, { number }, token)
  const order = data.salesOrders.edges.map((e) => e.node).find((o) => o.number === number)
  assert.ok(order, `order ${number} exists`)
  assert.equal(order.status, 'APPROVED')
  assert.equal(order.createdBy, `user:${CLERK.username}`)
  assert.equal(order.customer.code, 'C001')
  assert.equal(order.warehouse.code, 'SH01')
  assert.deepEqual(order.approvalsRequired.map((s) => s.reason), ['discount'])
  assert.equal(order.lines[0].product.sku, 'DRK-001')
  assert.equal(Number(order.lines[0].discount), 0.15)
  assert.equal(Number(order.lines[0].reservedQuantity), 2)
  assert.deepEqual(order.history.map((h) => [h.actor, h.toStatus, h.comment]).slice(-2), [
    [`user:${CLERK.username}`, 'submitted', ''],
    [`user:${MANAGER.username}`, 'approved', '同意，老客户'],
  ])
}

/** An administrator sees stock by bin and lot, a product ledger, vouchers, statements with downloads and users. */
export async function adminScreens(server, browser) {
  await withPage(browser, 'admin-screens', async (page) => {
    await signIn(page, server.base, 'admin', server.adminPassword)
    const menu = page.locator('[data-test=menu]')
    await menu.getByText('库存查询').click()
    await page.locator('[data-test=stock-levels] tr', { hasText: 'DRK-001' }).first().waitFor()
    await page.locator('[data-test=pager] .total').filter({ hasText: /共 \d+ 条/ }).waitFor()
    await page.locator('[data-test=stock-levels] tr', { hasText: 'DRK-001' }).first().locator('.el-link').click()
    await page.waitForURL(/\/inventory\/products\/.+\/moves/)
    await page.locator('[data-test=stock-moves] .el-table__row').first().waitFor()

    await menu.getByText('凭证').click()
    await page.locator('[data-test=vouchers]').waitFor()
    await menu.getByText('财务报表').click()
    await page.locator('[data-test=trial-balance] .el-table__row').first().waitFor()
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-test=statement-xlsx]')])
    assert.match(download.suggestedFilename(), /^trial_balance-\d{6}\.xlsx$/)
    await page.locator('.el-tabs__item', { hasText: '资产负债表' }).click()
    await page.locator('[data-test=statement] .el-table__row').first().waitFor()

    await menu.getByText('用户', { exact: true }).click()
    await page.locator('[data-test=users] tr', { hasText: CLERK.username }).waitFor()
  })
}
