// Master data in the console (#17): an admin creates a customer with a credit limit — first with the
// code of an existing customer, which the server refuses under the code field — then edits its credit
// limit and rating; then creates a bin in the SH01 warehouse. Both checked through the API.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api, apiToken } from './jxc-server.mjs'
import { launch, withPage, signIn } from './browser.mjs'

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

const CUSTOMERS = `query($text: String) { customers(filter: {text: $text}, first: 10) {
  edges { node { id code name phone creditLimit creditRating active } } } }`
const WAREHOUSES = `{ warehouses(first: 50) { edges { node { id code } } } }`
const BINS = `query($warehouseId: ID, $text: String) { locations(filter: {warehouseId: $warehouseId, text: $text}, first: 10) {
  edges { node { code name sortOrder active warehouse { code } } } } }`
const CODE = 'E2E-CUST-1'
const BIN = 'SH01-E2E-01'

test('an admin creates and edits a customer with credit, and adds a bin to a warehouse', { timeout: 90_000 }, async () => {
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  const existing = (await api(server.base, CUSTOMERS, {}, admin)).customers.edges[0].node
  assert.ok(existing, 'demo data: a customer')

  await withPage(browser, 'master-data', async (page) => {
    await signIn(page, server.base, 'admin', server.adminPassword)
    await page.locator('[data-test=menu]').getByText('客户', { exact: true }).click()
    await page.locator('[data-test=partner-table] tbody tr').first().waitFor()

    // a duplicate code: the server's error shows under the code field
    await page.click('[data-test=partner-new]')
    const dialog = page.locator('[data-test=partner-dialog]')
    await dialog.locator('input[data-test=partner-code]').fill(existing.code)
    await dialog.locator('input[data-test=partner-name]').fill('端到端测试客户')
    await dialog.locator('input[data-test=partner-phone]').fill('021-12345678')
    await dialog.locator('input[data-test=partner-credit-limit]').fill('50000')
    await dialog.locator('[data-test=partner-save]').click()
    const codeError = dialog.locator('.el-form-item:has(input[data-test=partner-code]) .el-form-item__error')
    await codeError.waitFor()
    assert.ok((await codeError.innerText()).trim(), 'the duplicate code is refused with a message')

    // a new code: saved, the dialog closes
    await dialog.locator('input[data-test=partner-code]').fill(CODE)
    await dialog.locator('[data-test=partner-save]').click()
    await dialog.waitFor({ state: 'hidden' })

    // find it by the server-side search and edit its credit
    await page.fill('input[data-test=partner-search]', CODE)
    await page.click('[data-test=partner-search-submit]')
    const row = page.locator('[data-test=partner-table] tr', { hasText: CODE })
    // filtered on the server: only the new customer is left
    await page.waitForFunction(() => document.querySelectorAll('[data-test=partner-table] tbody tr').length === 1)
    await row.getByText('50000').waitFor()
    await row.locator('[data-test=partner-edit]').click()
    await dialog.locator('input[data-test=partner-credit-limit]').fill('80000')
    await dialog.locator('[data-test=partner-credit-rating]').click()
    await page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: 'B' }).first().click()
    await dialog.locator('[data-test=partner-save]').click()
    await dialog.waitFor({ state: 'hidden' })
    await row.getByText('80000').waitFor()

    // a bin in SH01
    await page.locator('[data-test=menu]').getByText('仓库与库位', { exact: true }).click()
    await page.locator('[data-test=warehouse-table] tr', { hasText: 'SH01' }).first().click()
    await page.locator('[data-test=bins-title]', { hasText: 'SH01' }).waitFor()
    await page.click('[data-test=bin-new]')
    const binDialog = page.locator('[data-test=bin-dialog]')
    await binDialog.locator('input[data-test=bin-code]').fill(BIN)
    await binDialog.locator('input[data-test=bin-name]').fill('测试库位')
    await binDialog.locator('[data-test=bin-save]').click()
    await binDialog.waitFor({ state: 'hidden' })
    await page.fill('input[data-test=bin-search]', BIN)
    await page.click('[data-test=bin-search-submit]')
    await page.locator('[data-test=bin-table] tr', { hasText: BIN }).waitFor()
  })

  const [customer] = (await api(server.base, CUSTOMERS, { text: CODE }, admin)).customers.edges.map((e) => e.node)
  assert.equal(customer.code, CODE)
  assert.equal(customer.name, '端到端测试客户')
  assert.equal(customer.phone, '021-12345678')
  assert.equal(Number(customer.creditLimit), 80000)
  assert.equal(customer.creditRating, 'B')
  assert.equal(customer.active, true)

  const sh = (await api(server.base, WAREHOUSES, {}, admin)).warehouses.edges.map((e) => e.node).find((w) => w.code === 'SH01')
  const bins = (await api(server.base, BINS, { warehouseId: sh.id, text: BIN }, admin)).locations.edges.map((e) => e.node)
  assert.deepEqual(bins.map((b) => [b.code, b.name, b.active, b.warehouse.code]), [[BIN, '测试库位', true, 'SH01']])
})
