// Stock counts in the console (#17): a warehouse keeper opens a blind count of one bin, sees no book
// quantities, enters what is on the shelf (a negative count is refused under its field); an accountant
// sees book quantities and variances and approves: the loss is posted and the shelf matches the count.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api, apiToken } from './jxc-server.mjs'
import { launch, withPage, signIn, choose } from './browser.mjs'

const KEEPER = { username: 'cangguan', role: 'warehouse_keeper', password: 'keeper-pass-1' }
const ACCOUNTANT = { username: 'kuaiji', role: 'accountant', password: 'accountant-pass-1' }
let server
let browser

before(async () => {
  server = await startServer([KEEPER, ACCOUNTANT])
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

const LEVELS = `query($locationId: ID) { stockLevels(filter: {locationId: $locationId}, first: 100) {
  edges { node { quantity product { sku } lot { code } location { id code } warehouse { id code } } } } }`
const COUNTS = `{ stockCounts(first: 5) { edges { node { number status loss approvedBy lines { countedQuantity product { sku } } } } } }`

test('a keeper counts a bin blind, an accountant approves the variance', { timeout: 120_000 }, async () => {
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  const all = (await api(server.base, LEVELS, { locationId: null }, admin)).stockLevels.edges.map((e) => e.node)
  const bin = all.find((l) => l.warehouse.code === 'SH01' && Number(l.quantity) > 1).location
  const levels = (await api(server.base, LEVELS, { locationId: bin.id }, admin)).stockLevels.edges.map((e) => e.node)
  const short = levels.find((l) => Number(l.quantity) > 1)
  const book = new Map(levels.map((l) => [`${l.product.sku}|${l.lot?.code ?? ''}`, l.quantity]))

  let number
  await withPage(browser, 'count-keeper', async (page) => {
    await signIn(page, server.base, KEEPER.username, KEEPER.password)
    await page.locator('[data-test=menu]').getByText('盘点').click()
    await page.click('[data-test=count-new]')
    await choose(page, 'warehouse-select', null, '上海总仓')
    await choose(page, 'count-bin', bin.code, bin.code)
    await page.click('[data-test=count-open-save]')
    await page.locator('[data-test=count-detail]').waitFor()
    number = (await page.locator('[data-test=count-number]').innerText()).match(/[A-Z]+[\w-]*\d+/)[0]
    const lines = page.locator('[data-test=count-lines] .el-table__body tr')
    await lines.first().waitFor()
    assert.equal(await lines.count(), levels.length)
    // blind: the counter sees no book quantity and no variance
    assert.equal(await page.locator('[data-test=count-lines]').getByText('账面数').count(), 0)
    const entries = page.locator('input[data-test=count-entry]')
    const first = entries.first()
    await first.fill('-1')
    await page.click('[data-test=count-record]')
    await page.locator('[data-test=count-lines] .el-form-item__error').first().waitFor()
    for (let i = 0; i < levels.length; i++) {
      const row = lines.nth(i)
      const sku = (await row.locator('td').nth(1).innerText()).trim().split(/\s+/)[0]
      const lot = (await row.locator('td').nth(2).innerText()).trim()
      let qty = Number(book.get(`${sku}|${lot === '—' ? '' : lot}`))
      if (sku === short.product.sku && (short.lot?.code ?? '—') === lot) qty -= 1
      await row.locator('input[data-test=count-entry]').fill(String(qty))
    }
    await page.click('[data-test=count-record]')
    await page.locator('[data-test=count-table] tr', { hasText: number }).getByText(`${levels.length} / ${levels.length}`).waitFor()
  })

  await withPage(browser, 'count-accountant', async (page) => {
    await signIn(page, server.base, ACCOUNTANT.username, ACCOUNTANT.password)
    await page.locator('[data-test=menu]').getByText('盘点').click()
    await page.locator('[data-test=count-table] tr', { hasText: number }).getByText(number).click()
    await page.locator('[data-test=count-lines]').getByText('账面数').waitFor()
    assert.equal(await page.locator('[data-test=count-new]').count(), 0) // approvers do not open counts
    await page.locator('input[data-test=count-reason]').fill('破损一件')
    await page.click('[data-test=count-approve]')
    await page.locator('[data-test=count-detail]').getByText('已审批').waitFor()
  })

  const count = (await api(server.base, COUNTS, {}, admin)).stockCounts.edges.map((e) => e.node).find((c) => c.number === number)
  assert.equal(count.status, 'approved')
  assert.equal(count.approvedBy, `user:${ACCOUNTANT.username}`)
  assert.ok(Number(count.loss) > 0)
  const after = (await api(server.base, LEVELS, { locationId: bin.id }, admin)).stockLevels.edges.map((e) => e.node)
  const now = after.find((l) => l.product.sku === short.product.sku && (l.lot?.code ?? '') === (short.lot?.code ?? ''))
  assert.equal(Number(now.quantity), Number(short.quantity) - 1)
})
