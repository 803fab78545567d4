// 数据导入 in the console: an administrator checks a products CSV with a bad row (a negative sale
// price) — the dry run lists the error with its row and the import stays disabled; a fixed file
// checks clean and is imported (the API finds the products); the same file again is all unchanged.
// A purchaser (partner.edit, no catalog.edit) working in English is offered suppliers and customers
// only, and reads the server's row errors in English.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api, apiToken } from './jxc-server.mjs'
import { launch, withPage, signIn } from './browser.mjs'

const PURCHASER = { username: 'caigou', role: 'purchaser', password: 'purchaser-pass-1' }
let server
let browser

before(async () => {
  server = await startServer([PURCHASER])
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

const CODES = `{ units(first: 100) { edges { node { code active } } } categories(first: 100) { edges { node { code active } } } }`
const PRODUCT = `query($text: String) { products(filter: {text: $text}, first: 10) { edges { node {
  sku name salePrice purchasePrice baseUnit { code } category { code } } } } }`

const csv = (rows) => Buffer.from(['编码,名称,分类,单位,进价,售价', ...rows.map((r) => r.join(','))].join('\r\n') + '\r\n', 'utf8')
const count = (page, key) => page.locator(`[data-test=import-count-${key}]`).innerText().then(Number)
const upload = (page, name, buffer) => page.setInputFiles('input[data-test=import-file]', { name, mimeType: 'text/csv', buffer })
const dryRun = async (page) => {
  await page.click('[data-test=import-check]')
  await page.locator('[data-test=import-counts]').waitFor()
}

test('an administrator checks a products file, fixes it, imports it, and imports it again unchanged', { timeout: 60_000 }, async () => {
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  const codes = await api(server.base, CODES, {}, admin)
  const unit = codes.units.edges.map((e) => e.node).find((u) => u.active).code
  const category = codes.categories.edges.map((e) => e.node).find((c) => c.active).code
  const skus = ['E2E-IMP-001', 'E2E-IMP-002']
  for (const sku of skus) assert.equal((await api(server.base, PRODUCT, { text: sku }, admin)).products.edges.length, 0, `${sku} is not in the demo data`)

  const bad = csv([
    [skus[0], '导入测试商品一', category, unit, '3.50', '5.00'],
    [skus[1], '导入测试商品二', category, unit, '2.00', '-5.00'],
  ])
  const good = csv([
    [skus[0], '导入测试商品一', category, unit, '3.50', '5.00'],
    [skus[1], '导入测试商品二', category, unit, '2.00', '4.20'],
  ])

  await withPage(browser, 'import-admin', async (page) => {
    await signIn(page, server.base, 'admin', server.adminPassword)
    await page.locator('[data-test=menu]').getByText('数据导入').click()
    await page.waitForURL(/\/admin\/imports$/)
    // every kind for the administrator; the downloads name the kind
    for (const k of ['商品', '供应商', '客户']) await page.locator('[data-test=import-kind]').getByText(k).waitFor()
    assert.equal(await page.locator('[data-test=import-template-xlsx]').getAttribute('href'), '/imports/products/template.xlsx?header=zh')
    assert.equal(await page.locator('[data-test=import-export-csv]').getAttribute('href'), '/exports/products.csv?header=zh')
    // the template downloads with the session cookie
    const tpl = await page.evaluate(async () => { const r = await fetch('/imports/products/template.csv?header=zh'); return [r.status, (await r.text()).slice(0, 200)] })
    assert.equal(tpl[0], 200)
    assert.match(tpl[1], /编码/)

    // a bad row: the dry run lists it with its row, the import stays disabled
    await upload(page, 'products-bad.csv', bad)
    assert.ok(await page.locator('[data-test=import-commit]').isDisabled())
    await dryRun(page)
    assert.equal(await count(page, 'rows'), 2)
    assert.equal(await count(page, 'rowsWithErrors'), 1)
    await page.locator('[data-test=import-has-errors]').waitFor()
    const errorRows = page.locator('[data-test=import-errors] .el-table__body tr')
    assert.ok((await errorRows.count()) >= 1)
    const first = await errorRows.first().locator('td').allInnerTexts()
    assert.equal(first[0].trim(), '3', `the error names row 3 (the header is row 1): ${first.join(' | ')}`)
    assert.ok(first[2].trim().length > 0, 'the error has a message')
    assert.ok(await page.locator('[data-test=import-commit]').isDisabled(), 'a file with errors cannot be imported')

    // the fixed file: a clean dry run enables the import
    await upload(page, 'products.csv', good)
    await page.locator('[data-test=import-counts]').waitFor({ state: 'detached' })
    await dryRun(page)
    await page.locator('[data-test=import-clean]').waitFor()
    assert.equal(await count(page, 'created'), 2)
    assert.equal(await count(page, 'rowsWithErrors'), 0)
    assert.equal(await page.locator('[data-test=import-errors]').count(), 0)
    assert.ok(await page.locator('[data-test=import-commit]').isEnabled())
    // a slowed upload: the page shows its progress while the request runs
    const slow = async (route) => {
      if ((route.request().headers()['content-type'] ?? '').startsWith('multipart/')) await new Promise((r) => setTimeout(r, 800))
      await route.continue()
    }
    await page.route('**/graphql', slow)
    await page.click('[data-test=import-commit]')
    await page.locator('[data-test=import-progress]').waitFor()
    await page.locator('[data-test=import-committed]').waitFor()
    await page.unroute('**/graphql', slow)
    assert.equal(await page.locator('[data-test=import-progress]').count(), 0)
    assert.equal(await count(page, 'created'), 2)
    // after the import, another import needs another dry run
    assert.ok(await page.locator('[data-test=import-commit]').isDisabled())

    // the same file again: everything unchanged
    await dryRun(page)
    await page.locator('[data-test=import-clean]').waitFor()
    assert.deepEqual([await count(page, 'created'), await count(page, 'updated'), await count(page, 'unchanged')], [0, 0, 2])
    await page.click('[data-test=import-commit]')
    await page.locator('[data-test=import-committed]').waitFor()
    assert.deepEqual([await count(page, 'created'), await count(page, 'updated'), await count(page, 'unchanged')], [0, 0, 2])
  })

  for (const [sku, name, sale] of [[skus[0], '导入测试商品一', 5], [skus[1], '导入测试商品二', 4.2]]) {
    const found = (await api(server.base, PRODUCT, { text: sku }, admin)).products.edges.map((e) => e.node).find((p) => p.sku === sku)
    assert.ok(found, `${sku} was imported`)
    assert.equal(found.name, name)
    assert.equal(Number(found.salePrice), sale)
    assert.equal(found.baseUnit.code, unit)
    assert.equal(found.category?.code, category)
  }
})

const SUPPLIER = `query($text: String) { suppliers(filter: {text: $text}, first: 10) { edges { node { code name paymentTermsDays } } } }`

test('a purchaser imports suppliers in English; products are not offered', { timeout: 60_000 }, async () => {
  const file = (days) => Buffer.from(`code,name,payment_terms_days\nE2E-SUP-IMP,Import Test Supplier,${days}\n`, 'utf8')
  await withPage(browser, 'import-purchaser', async (page) => {
    await page.addInitScript(() => localStorage.setItem('jxc.locale', 'en'))
    await signIn(page, server.base, PURCHASER.username, PURCHASER.password)
    await page.locator('[data-test=menu]').getByText('Import').click()
    const kinds = page.locator('[data-test=import-kind]')
    await kinds.getByText('Suppliers').waitFor()
    assert.equal(await kinds.getByText('Products').count(), 0)
    assert.equal(await page.locator('[data-test=import-export-xlsx]').getAttribute('href'), '/exports/suppliers.xlsx?header=zh')

    // a bad header (an unknown column) is an error of the file: no dry run clean, no import
    await upload(page, 'suppliers.csv', Buffer.from('code,name,colour\nE2E-SUP-IMP,Import Test Supplier,red\n'))
    await dryRun(page)
    await page.locator('[data-test=import-has-errors]').waitFor()
    assert.equal(await page.locator('[data-test=import-errors] .el-table__body tr').first().locator('td').first().innerText(), '1')
    assert.ok(await page.locator('[data-test=import-commit]').isDisabled())

    await upload(page, 'suppliers.csv', file(99999))
    await page.locator('[data-test=import-counts]').waitFor({ state: 'detached' })
    await dryRun(page)
    assert.equal(await count(page, 'rowsWithErrors'), 1)
    const cells = await page.locator('[data-test=import-errors] .el-table__body tr').first().locator('td').allInnerTexts()
    assert.equal(cells[0].trim(), '2')
    assert.match(cells[2], /[A-Za-z]{3}/, `an English message: ${cells[2]}`)
    assert.doesNotMatch(cells[2], /[\u4e00-\u9fff]{2}/, `no Chinese in the message: ${cells[2]}`)

    await upload(page, 'suppliers.csv', file(30))
    await page.locator('[data-test=import-counts]').waitFor({ state: 'detached' })
    await dryRun(page)
    await page.locator('[data-test=import-clean]').waitFor()
    await page.click('[data-test=import-commit]')
    await page.locator('[data-test=import-committed]').waitFor()
    assert.equal(await count(page, 'created'), 1)
  })
  const token = await apiToken(server.base, PURCHASER.username, PURCHASER.password)
  const found = (await api(server.base, SUPPLIER, { text: 'E2E-SUP-IMP' }, token)).suppliers.edges.map((e) => e.node)
  assert.deepEqual(found.map((s) => [s.code, s.name, s.paymentTermsDays]), [['E2E-SUP-IMP', 'Import Test Supplier', 30]])
})

test('an administrator checks an opening-balances file: its template, its row errors, no export', { timeout: 60_000 }, async () => {
  const opening = Buffer.from(
    ['类型,商品编码,库位,数量,单价', '库存,E2E-NO-SUCH-SKU,NO-SUCH-BIN,10,2.00'].join('\r\n') + '\r\n',
    'utf8',
  )
  await withPage(browser, 'import-opening-admin', async (page) => {
    await signIn(page, server.base, 'admin', server.adminPassword)
    await page.goto(`${server.base}/admin/imports`)
    for (const k of ['仓库', '库位']) await page.locator('[data-test=import-kind]').getByText(k, { exact: true }).waitFor()
    await page.locator('[data-test=import-kind]').getByText('期初余额').click()
    await page.locator('[data-test=import-opening-hint]').waitFor()
    assert.equal(await page.locator('[data-test=import-template-csv]').getAttribute('href'), '/imports/opening/template.csv?header=zh')
    assert.equal(await page.locator('[data-test=import-export-csv]').count(), 0) // posted, never exported
    const tpl = await page.evaluate(async () => { const r = await fetch('/imports/opening/template.csv?header=zh'); return [r.status, (await r.text()).slice(0, 100)] })
    assert.equal(tpl[0], 200)
    assert.match(tpl[1], /类型,商品编码,库位/)
    await upload(page, 'opening.csv', opening)
    await dryRun(page)
    const rows = await page.locator('[data-test=import-errors] .el-table__body tr').allInnerTexts()
    assert.equal(rows.length, 2, rows.join(' / ')) // the SKU and the bin, both on row 2
    assert.ok(rows.every((r) => r.trim().startsWith('2')), rows.join(' / '))
    assert.ok(await page.locator('[data-test=import-commit]').isDisabled())
  })
})
