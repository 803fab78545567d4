// Returns in the console (#17): a purchaser opens a goods receipt, returns part of one line to the
// supplier (采购退货) — first too much, refused by the server under the line's quantity — and lands on
// the returns list; the API lists the return and the bin's stock went down by the quantity. Then a
// salesperson takes back part of a shipment of a sales order (销售退货) from the order's shipments:
// listed by the API, and the stock is back in the bin it was shipped from.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api, apiToken } from './jxc-server.mjs'
import { launch, withPage, signIn } from './browser.mjs'

const PURCHASER = { username: 'caigou', role: 'purchaser', password: 'purchaser-pass-1' }
const SALES = { username: 'xiaoshou', role: 'sales', password: 'sales-pass-1' }
const QTY = 2
let server
let browser

before(async () => {
  server = await startServer([PURCHASER, SALES])
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

const LEVELS = `query($productId: ID) { stockLevels(filter: {productId: $productId}, first: 100) {
  edges { node { quantity lot { code } location { id } } } } }`
const RECEIPTS = `{ goodsReceipts(first: 50) { edges { node { id number
  lines { id acceptedQuantity returnedQuantity product { id sku tracking } location { id code } lot { code } } } } } }`
const PURCHASE_RETURNS = `{ purchaseReturns(first: 10) { edges { node { number reason receipt { number } debitNote { number } } } } }`
const SHIPMENTS = `{ shipments(first: 50) { edges { node { id number order { id number }
  lines { id quantity returnedQuantity product { id sku tracking } location { id } lot { code } } } } } }`
const SALES_RETURNS = `{ salesReturns(first: 10) { edges { node { number reason shipment { number } } } } }`
const binQty = async (token, productId, locationId, lotCode) =>
  (await api(server.base, LEVELS, { productId }, token)).stockLevels.edges
    .map((e) => e.node)
    .filter((l) => l.location.id === locationId && (l.lot?.code ?? null) === lotCode)
    .reduce((s, l) => s + Number(l.quantity), 0)

test('a purchaser returns part of a receipt line to the supplier', { timeout: 40_000 }, async () => {
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  let line
  const receipt = (await api(server.base, RECEIPTS, {}, admin)).goodsReceipts.edges.map((e) => e.node).find((r) => {
    const i = r.lines.findIndex((l) => l.product?.tracking === 'NONE' && l.location && Number(l.acceptedQuantity) - Number(l.returnedQuantity) > QTY)
    if (i < 0) return false
    line = r.lines[i]
    return true
  })
  assert.ok(receipt, 'demo data: a receipt with an untracked line left to return')
  const returnable = Number(line.acceptedQuantity) - Number(line.returnedQuantity)
  const before = await binQty(admin, line.product.id, line.location.id, line.lot?.code ?? null)

  let number
  await withPage(browser, 'returns-purchaser', async (page) => {
    await signIn(page, server.base, PURCHASER.username, PURCHASER.password)
    await page.locator('[data-test=menu]').getByText('采购收货').click()
    await page.locator('[data-test=gr-table] a', { hasText: receipt.number }).click()
    await page.click('[data-test=gr-return]')
    await page.locator('[data-test=pr-form]').waitFor()
    const row = page.locator(`.ret-line[data-sku="${line.product.sku}"]`).first()
    const qty = row.locator('input[data-test=pr-quantity]')
    assert.equal(await qty.inputValue(), '0')
    await page.fill('input[data-test=pr-reason]', '包装破损')
    // more than is left of the line: refused under the line's quantity, nothing posted
    await qty.fill(String(returnable + 1))
    await page.click('[data-test=pr-save]')
    await row.locator('.el-form-item__error').waitFor()
    assert.match(page.url(), /\/purchasing\/receipts\/.+\/return$/)
    await qty.fill(String(QTY))
    await page.click('[data-test=pr-save]')
    await page.waitForURL(/\/purchasing\/returns$/)
    const listed = page.locator('[data-test=pr-table] tr', { hasText: receipt.number }).first()
    await listed.getByText('包装破损').waitFor()
    number = (await listed.innerText()).match(/PR[\w-]*\d+/)[0]
  })

  const ret = (await api(server.base, PURCHASE_RETURNS, {}, admin)).purchaseReturns.edges.map((e) => e.node).find((r) => r.number === number)
  assert.ok(ret, `purchaseReturns lists ${number}`)
  assert.equal(ret.receipt.number, receipt.number)
  assert.equal(ret.reason, '包装破损')
  assert.ok(ret.debitNote, 'a debit note was made')
  assert.equal(await binQty(admin, line.product.id, line.location.id, line.lot?.code ?? null), before - QTY)
})

test('a salesperson takes back part of a shipment from the sales order', { timeout: 40_000 }, async () => {
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  let line
  const ship = (await api(server.base, SHIPMENTS, {}, admin)).shipments.edges.map((e) => e.node).find((s) => {
    const i = s.lines.findIndex((l) => l.product?.tracking === 'NONE' && Number(l.quantity) - Number(l.returnedQuantity) > QTY)
    if (i < 0) return false
    line = s.lines[i]
    return true
  })
  assert.ok(ship, 'demo data: a shipment with an untracked line left to return')
  const before = await binQty(admin, line.product.id, line.location.id, line.lot?.code ?? null)

  let number
  await withPage(browser, 'returns-sales', async (page) => {
    await signIn(page, server.base, SALES.username, SALES.password)
    await page.locator('[data-test=menu]').getByText('销售订单').click()
    await page.locator('[data-test=so-table] .el-link', { hasText: ship.order.number }).click()
    await page.locator('[data-test=so-shipments] tr', { hasText: ship.number }).locator('[data-test=so-shipment-return]').click()
    await page.locator('[data-test=sr-form]').waitFor()
    const row = page.locator(`.ret-line[data-sku="${line.product.sku}"]`).first()
    await row.locator('input[data-test=sr-quantity]').fill(String(QTY))
    // no reason: refused under the reason field
    await page.click('[data-test=sr-save]')
    await page.locator('.el-form-item:has(input[data-test=sr-reason]) .el-form-item__error').waitFor()
    await page.fill('input[data-test=sr-reason]', '客户退回')
    await page.click('[data-test=sr-save]')
    await page.waitForURL(/\/sales\/returns$/)
    const listed = page.locator('[data-test=sr-table] tr', { hasText: ship.number }).first()
    await listed.getByText('客户退回').waitFor()
    number = (await listed.innerText()).match(/SR[\w-]*\d+/)?.[0] ?? (await listed.locator('td').first().innerText()).trim()
  })

  const ret = (await api(server.base, SALES_RETURNS, {}, admin)).salesReturns.edges.map((e) => e.node).find((r) => r.number === number)
  assert.ok(ret, `salesReturns lists ${number}`)
  assert.equal(ret.shipment.number, ship.number)
  assert.equal(await binQty(admin, line.product.id, line.location.id, line.lot?.code ?? null), before + QTY)
})
