// Transfers in the console (#17): a warehouse keeper dispatches a product with stock from SH01 to
// BJ01 (the goods go in transit), sees the server refuse a bad quantity (more than on hand, then 0)
// under the line's quantity field, and receives the transfer into a BJ01 bin: the transfer is
// received and BJ01's stock of the product went up by the quantity.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api, apiToken } from './jxc-server.mjs'
import { launch, withPage, signIn, choose } from './browser.mjs'

const KEEPER = { username: 'cangguan', role: 'warehouse_keeper', password: 'keeper-pass-1' }
const QTY = 5
let server
let browser

before(async () => {
  server = await startServer([KEEPER])
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

const LEVELS = `query($productId: ID, $warehouseId: ID) { stockLevels(filter: {productId: $productId, warehouseId: $warehouseId}, first: 100) {
  edges { node { quantity product { id sku tracking } lot { code } location { id code } warehouse { id code } } } } }`
const BINS = `query($warehouseId: ID) { locations(filter: {warehouseId: $warehouseId, active: true}, first: 100) { edges { node { id code } } } }`
const TRANSFERS = `{ transfers(first: 10) { edges { node { number status fromWarehouse { code } toWarehouse { code }
  lines { quantity receivedQuantity done product { sku } } } } } }`
const levelsOf = async (token, vars) => (await api(server.base, LEVELS, vars, token)).stockLevels.edges.map((e) => e.node)
// the dropdown of the select just chosen from fades out: wait until no dropdown shows before the next
const settled = (page) => page.waitForFunction(() => ![...document.querySelectorAll('.el-select-dropdown')].some((d) => d.offsetParent !== null))
const total = (levels) => levels.reduce((s, l) => s + Number(l.quantity), 0)

test('a keeper dispatches a transfer SH01 → BJ01 and receives it into a BJ01 bin', { timeout: 60_000 }, async () => {
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  const all = await levelsOf(admin, {})
  const src = all.find((l) => l.warehouse.code === 'SH01' && l.product.tracking === 'NONE' && !l.lot && Number.isInteger(Number(l.quantity)) && Number(l.quantity) > QTY)
  assert.ok(src, 'demo data: a SH01 bin with stock of an untracked product')
  const bj = all.find((l) => l.warehouse.code === 'BJ01').warehouse
  const bjBin = (await api(server.base, BINS, { warehouseId: bj.id }, admin)).locations.edges.map((e) => e.node).find((b) => /^BJ01-.+-\d+$/.test(b.code))
  const before = total(await levelsOf(admin, { productId: src.product.id, warehouseId: bj.id }))

  let number
  await withPage(browser, 'transfer-keeper', async (page) => {
    await signIn(page, server.base, KEEPER.username, KEEPER.password)
    await page.locator('[data-test=menu]').getByText('调拨').click()
    await page.click('[data-test=transfer-new]')
    await choose(page, 'transfer-from', null, '上海总仓')
    await settled(page)
    await choose(page, 'transfer-to', null, 'BJ01')
    await settled(page)
    await choose(page, 'transfer-product', src.product.sku, src.product.sku)
    await settled(page)
    await choose(page, 'transfer-bin', src.location.code, src.location.code)
    const qty = page.locator('input[data-test=transfer-quantity]')
    const qtyError = page.locator('[data-line="0"] .el-form-item:has(input[data-test=transfer-quantity]) .el-form-item__error')
    // more than on hand: the server refuses it under the line's quantity
    await qty.fill(String(Number(src.quantity) + 1))
    await page.click('[data-test=transfer-save]')
    await qtyError.waitFor()
    const tooMuch = await qtyError.innerText()
    // zero: refused too, with its own message
    await qty.fill('0')
    await page.click('[data-test=transfer-save]')
    await page.waitForFunction(
      ([sel, before]) => { const e = document.querySelector(sel); return e && e.textContent.trim() !== before },
      ['[data-line="0"] .el-form-item:has(input[data-test=transfer-quantity]) .el-form-item__error', tooMuch.trim()],
    )
    assert.match(page.url(), /\/inventory\/transfers\/new$/)
    await qty.fill(String(QTY))
    await page.click('[data-test=transfer-save]')
    await page.locator('[data-test=transfer-number]').waitFor()
    number = (await page.locator('[data-test=transfer-number]').innerText()).match(/TR[\w-]*\d+/)[0]
    await page.locator('[data-test=transfer-status]').getByText('在途').waitFor()
    // receive into a BJ01 bin
    await choose(page, 'transfer-receive-bin', bjBin.code, bjBin.code)
    await page.click('[data-test=transfer-receive-save]')
    await page.locator('[data-test=transfer-status]').getByText('已到货').waitFor()
    assert.equal(await page.locator('[data-test=transfer-receive]').count(), 0)
    await page.click('text=返回')
    await page.locator('[data-test=transfer-table] tr', { hasText: number }).getByText('已到货').waitFor()
    // filtered by status on the server: in transit lists it no more
    await choose(page, 'transfer-status-filter', null, '在途')
    await page.locator('[data-test=transfer-table] tr', { hasText: number }).waitFor({ state: 'detached' })
  })

  const tr = (await api(server.base, TRANSFERS, {}, admin)).transfers.edges.map((e) => e.node).find((x) => x.number === number)
  assert.equal(tr.status, 'received')
  assert.equal(tr.fromWarehouse.code, 'SH01')
  assert.equal(tr.toWarehouse.code, 'BJ01')
  assert.deepEqual(tr.lines.map((l) => [l.product.sku, Number(l.quantity), Number(l.receivedQuantity), l.done]), [[src.product.sku, QTY, QTY, true]])
  const afterBj = total(await levelsOf(admin, { productId: src.product.id, warehouseId: bj.id }))
  assert.equal(afterBj, before + QTY)
  const srcNow = (await levelsOf(admin, { productId: src.product.id })).find((l) => l.location.id === src.location.id)
  assert.equal(Number(srcNow.quantity), Number(src.quantity) - QTY)
})
