// The reports in the console (#17): an administrator opens the sales report — rows, a chart, the
// grouping changes the rows, the CSV downloads with the page's parameters — and the ABC report with
// its classes; the figures on the page are the API's.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api, apiToken } from './jxc-server.mjs'
import { launch, withPage, signIn, choose } from './browser.mjs'

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

test('an administrator reads the sales and ABC reports and downloads the CSV', { timeout: 90_000 }, async () => {
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  const byProduct = (await api(server.base, '{ salesReport(groupBy: PRODUCT) { rows { label revenue } } }', {}, admin)).salesReport.rows
  const byCategory = (await api(server.base, '{ salesReport(groupBy: CATEGORY) { rows { label revenue } } }', {}, admin)).salesReport.rows
  const abc = (await api(server.base, '{ abcClassification { abcClass consumption } }', {}, admin)).abcClassification
  assert.ok(byProduct.length > byCategory.length && byCategory.length > 0, 'the demo data sells more products than categories')

  await withPage(browser, 'reports-admin', async (page) => {
    await signIn(page, server.base, 'admin', server.adminPassword)
    await page.locator('[data-test=menu]').getByText('销售与毛利').click()
    const rows = page.locator('[data-test=report-table] .el-table__body tr')
    const first = rows.filter({ hasText: byProduct[0].label })
    await first.waitFor()
    assert.match(await first.innerText(), new RegExp(`\\b${byProduct[0].revenue.replace('.', '\\.')}\\b`))
    assert.equal(await rows.count(), byProduct.length)
    await page.locator('[data-test=report-chart] canvas').first().waitFor()

    await choose(page, 'report-group', null, '分类')
    await rows.filter({ hasText: byCategory[0].label }).waitFor()
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=report-table] .el-table__body tr').length === n, byCategory.length)

    const href = await page.locator('a[data-test=report-csv]').getAttribute('href')
    assert.match(href, /^\/reports\/sales\.csv\?.*group_by=category/)
    const csv = await page.request.get(`${server.base}${href}`)
    assert.equal(csv.status(), 200)
    assert.match(csv.headers()['content-type'], /^text\/csv/)
    assert.ok((await csv.text()).includes(`${byCategory[0].label},`))

    await page.locator('[data-test=menu]').getByText('ABC 分类').click()
    await page.locator('[data-test=abc-class]').first().waitFor()
    for (const cls of ['A', 'B', 'C']) {
      const n = abc.filter((r) => r.abcClass === cls).length
      assert.match(await page.locator(`[data-test=abc-counts] [data-class=${cls}]`).innerText(), new RegExp(`${cls}\\s+${n} 个商品`))
      if (n) assert.ok((await page.locator('[data-test=abc-class]', { hasText: cls }).count()) > 0)
    }
    const top = page.locator('[data-test=report-table] .el-table__body tr').first()
    assert.ok((await top.innerText()).includes(abc[0].consumption))
    await page.locator('[data-test=report-chart] canvas').first().waitFor()
  })
})
