// The first end-to-end slice of the console (#17): a purchaser signs in, creates a purchase
// order and submits it; a purchase manager signs in, finds it in the approvals inbox and approves
// it — while the purchaser's list follows live. Asserts on the pages and on the API's data.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api, apiToken } from './jxc-server.mjs'
import { launch, withPage, signIn, choose } from './browser.mjs'
import { SALES_USERS, salesTour, adminScreens } from './sales-tour.mjs'

const PURCHASER = { username: 'cai', role: 'purchaser', password: 'purchaser-pass-1' }
const MANAGER = { username: 'jing', role: 'purchase_manager', password: 'manager-pass-1' }
let server
let browser

before(async () => {
  server = await startServer([PURCHASER, MANAGER, ...SALES_USERS])
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

const ORDER = `query($number: String) { purchaseOrders(filter: {number: $number}, first: 5) {
  edges { node { number status createdBy approvalsDone supplier { code } warehouse { code }
    lines { quantity unitPrice product { sku } } history { actor toStatus } } } } }`

test('a purchaser creates and submits a purchase order, a manager approves it', { timeout: 120_000 }, async () => {
  let number
  await withPage(browser, 'purchaser', async (page) => {
    await signIn(page, server.base, PURCHASER.username, PURCHASER.password)
    // the menu follows the permissions: a purchaser has no reports and no approvals
    const menu = page.locator('[data-test=menu]')
    await menu.getByText('采购订单').waitFor()
    assert.equal(await menu.getByText('经营概览').count(), 0)
    assert.equal(await menu.getByText('待我审批').count(), 0)
    await page.waitForURL(/\/catalog\/products|\/purchasing\/orders/)

    await menu.getByText('采购订单').click()
    await page.click('[data-test=po-new]')
    await page.waitForURL(/\/purchasing\/orders\/new/)

    // a typed error next to the field it names, in the user's language: no supplier yet
    await page.click('[data-test=po-save]')
    await page.locator('.el-form-item__error').first().waitFor()

    await choose(page, 'supplier-select', '清泉', '上海清泉饮品有限公司')
    await choose(page, 'warehouse-select', null, '上海总仓')
    await choose(page, 'product-select', 'DRK-001', 'DRK-001')
    await page.locator('input[data-test=line-price]').fill('1.20')
    // below the supplier's minimum order quantity: the server's typed error appears under the
    // quantity of that line, and nothing is created
    await page.locator('input[data-test=line-quantity]').fill('24')
    await page.click('[data-test=po-save]')
    const qtyError = page.locator('[data-line="0"] .qty .el-form-item__error')
    await qtyError.waitFor()
    assert.match(await qtyError.innerText(), /240/)
    await page.locator('input[data-test=line-quantity]').fill('240')
    await page.click('[data-test=po-save]')

    await page.waitForURL(/\/purchasing\/orders\/(?!new)[^/]+$/)
    const heading = await page.locator('[data-test=po-number]').innerText()
    number = heading.match(/PO\d{4}-\d{6}/)[0]
    await page.locator('[data-test=po-status]').filter({ hasText: '草稿' }).waitFor()
    await page.click('[data-test=po-submit]')
    await page.locator('[data-test=po-status]').filter({ hasText: '待审批' }).waitFor()

    // the purchaser watches the list while the manager approves in another browser
    await page.locator('[data-test=menu]').getByText('采购订单').click()
    const row = page.locator('[data-test=po-table] tr', { hasText: number })
    await row.getByText('待审批').waitFor()

    await withPage(browser, 'manager', async (mpage) => {
      await signIn(mpage, server.base, MANAGER.username, MANAGER.password)
      await mpage.locator('[data-test=menu]').getByText('待我审批').click()
      const inbox = mpage.locator('[data-test=inbox] tr', { hasText: number })
      await inbox.waitFor()
      await inbox.locator('[data-test=approve]').click()
      await mpage.locator('.el-message--success').filter({ hasText: number }).waitFor()
      // approved orders leave the inbox (refetched after the approval and by the subscription)
      await inbox.waitFor({ state: 'detached' })
    })

    // live: the purchaser's list shows the approval without a reload
    await row.getByText('已审批').waitFor({ timeout: 10_000 })
    await page.locator('[data-test=live-last]').filter({ hasText: number }).waitFor()
  })

  // the data, through the API
  const token = await apiToken(server.base, 'admin', server.adminPassword)
  const data = await api(server.base, ORDER, { number }, token)
  const order = data.purchaseOrders.edges.map((e) => e.node).find((o) => o.number === number)
  assert.ok(order, `order ${number} exists`)
  assert.equal(order.status, 'APPROVED')
  assert.equal(order.createdBy, 'user:cai')
  assert.equal(order.supplier.code, 'S001')
  assert.equal(order.warehouse.code, 'SH01')
  assert.equal(order.lines.length, 1)
  assert.equal(order.lines[0].product.sku, 'DRK-001')
  assert.equal(Number(order.lines[0].quantity), 240)
  assert.equal(Number(order.lines[0].unitPrice), 1.2)
  assert.deepEqual(order.history.map((h) => [h.actor, h.toStatus]).slice(-2), [
    ['user:cai', 'submitted'],
    ['user:jing', 'approved'],
  ])
})

test('the manager cannot approve an order he created himself: the server says so, in English', { timeout: 60_000 }, async () => {
  const token = await apiToken(server.base, MANAGER.username, MANAGER.password)
  const refs = await api(server.base, `{ suppliers(first: 1) { edges { node { id } } } warehouses(first: 1) { edges { node { id } } } products(first: 1) { edges { node { id } } } }`, {}, token)
  const created = await api(
    server.base,
    `mutation($input: PurchaseOrderInput!) { createPurchaseOrder(input: $input) { order { id number } errors { code } } }`,
    { input: { supplierId: refs.suppliers.edges[0].node.id, warehouseId: refs.warehouses.edges[0].node.id, lines: [{ productId: refs.products.edges[0].node.id, quantity: '1', unitPrice: '2' }] } },
    token,
  )
  const { id, number } = created.createPurchaseOrder.order
  await api(server.base, `mutation($id: ID!) { submitPurchaseOrder(id: $id) { errors { code } } }`, { id }, token)
  await withPage(
    browser,
    'self-approval',
    async (page) => {
      await signIn(page, server.base, MANAGER.username, MANAGER.password)
      await page.locator('[data-test=language]').getByText('English').click()
      await page.goto(`${server.base}/purchasing/orders/${encodeURIComponent(id)}`)
      await page.locator('[data-test=po-number]').filter({ hasText: number }).waitFor()
      await page.click('[data-test=po-approve]')
      const error = page.locator('[data-test=errors] .el-alert')
      await error.first().waitFor()
      assert.match(await error.first().innerText(), /own|yourself|creator/i)
      await page.locator('[data-test=po-status]').filter({ hasText: 'Awaiting approval' }).waitFor()
      // printing (#17): the order as a PDF on three-part continuous paper, opened with the session cookie
      await page.click('[data-test=print-purchase_order] button')
      const link = page.locator('[data-test=print-purchase_order-continuous]')
      await link.waitFor()
      const pdf = await page.request.get(new URL(await link.getAttribute('href'), server.base).href)
      assert.equal(pdf.status(), 200)
      assert.equal(pdf.headers()['content-type'], 'application/pdf')
      const body = await pdf.body()
      assert.equal(body.subarray(0, 4).toString(), '%PDF')
      assert.ok(body.includes('/FontFile2'), 'the font is embedded')
      assert.match(pdf.headers()['content-disposition'], new RegExp(`inline; filename="purchase_order-${number}-continuous.pdf"`))
    },
    { locale: 'en-US' },
  )
})

test('an administrator sees the dashboard with its trend chart and downloads a report with the cookie', { timeout: 60_000 }, async () => {
  await withPage(browser, 'dashboard', async (page) => {
    await signIn(page, server.base, 'admin', server.adminPassword)
    await page.waitForURL(/\/dashboard/)
    await page.locator('[data-kpi=openPurchaseOrders]').waitFor()
    await page.locator('[data-kpi=stockValue]').waitFor() // admin holds cost.view
    await page.locator('[data-test=trend-chart] canvas').waitFor()
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-test=download-csv]')])
    assert.match(download.suggestedFilename(), /^sales\.csv$/)
    const { readFileSync } = await import('node:fs')
    assert.ok(readFileSync(await download.path(), 'utf8').length > 0)
    // products: filtered and paged by the server
    await page.locator('[data-test=menu]').getByText('商品列表').click()
    await page.locator('[data-test=pager]').filter({ hasText: '共 68 条' }).waitFor()
    await page.locator('input[data-test=product-search]').fill('DRK-00')
    await page.keyboard.press('Enter')
    await page.locator('[data-test=pager] .total').filter({ hasNotText: '共 68 条' }).waitFor()
    await page.locator('[data-test=products] tr', { hasText: 'DRK-001' }).waitFor()
    const total = await page.locator('[data-test=pager] .total').innerText()
    assert.ok(Number(total.match(/\d+/)[0]) < 68, total)
    // signing out ends the session: back to the sign-in page, and the old page cannot query any more
    await page.click('[data-test=signout]')
    await page.waitForURL(/\/signin/)
  })
})

test('a sales clerk creates and submits a sales order, a sales manager approves it from the inbox', { timeout: 60_000 }, () =>
  salesTour(server, browser))

test('an administrator sees stock by bin and lot, a product ledger, vouchers, statements with downloads and users', { timeout: 60_000 }, () =>
  adminScreens(server, browser))
