// The audit log in the console (#17): an administrator finds who created a category — the change made
// through the API shows with its operation, record and the fields before and after; a filter by the
// operation narrows the list on the server; a purchaser has no audit log in the menu.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api, apiToken } from './jxc-server.mjs'
import { launch, withPage, signIn } from './browser.mjs'

const PURCHASER = { username: 'cai', role: 'purchaser', password: 'purchaser-pass-1' }
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

test('an administrator finds a change in the audit log; a purchaser has none', { timeout: 90_000 }, async () => {
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  const made = await api(
    server.base,
    'mutation($input: CreateCategoryInput!) { createCategory(input: $input) { errors { code message } } }',
    { input: { code: 'AUDIT-E2E', name: '审计测试分类' } },
    admin,
  )
  assert.deepEqual(made.createCategory.errors, [])
  await withPage(browser, 'audit-admin', async (page) => {
    await signIn(page, server.base, 'admin', server.adminPassword)
    await page.locator('[data-test=menu]').getByText('审计日志').click()
    await page.locator('input[data-test=audit-operation]').fill('createCategory')
    await page.click('[data-test=audit-search]')
    const row = page.locator('[data-test=audit-table] .el-table__body tr', { hasText: 'createCategory' }).first()
    await row.waitFor()
    assert.equal(await page.locator('[data-test=audit-table] .el-table__body tr', { hasText: 'createUnit' }).count(), 0)
    await row.locator('.el-table__expand-icon').click()
    await page.locator('[data-test=audit-table] pre').filter({ hasText: '审计测试分类' }).waitFor()
  })
  await withPage(browser, 'audit-purchaser', async (page) => {
    await signIn(page, server.base, PURCHASER.username, PURCHASER.password)
    await page.locator('[data-test=menu]').getByText('采购订单').waitFor()
    assert.equal(await page.locator('[data-test=menu]').getByText('审计日志').count(), 0)
  })
})
