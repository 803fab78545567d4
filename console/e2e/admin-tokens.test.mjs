// Administration in the console (#17, #22): an administrator creates an API token for a role on the
// tokens page and reads its secret from the once-only dialog; the token works against the API with
// that role's permissions; revoked on the page, the API refuses it. A webhook endpoint registered on
// the page exists in the API, shows its signing secret once, and answers a test ping on the page.
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

/** A GraphQL call that may be refused: the HTTP status and the body (null when it is not JSON). */
async function raw(query, token) {
  const resp = await fetch(`${server.base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  })
  return { status: resp.status, body: await resp.json().catch(() => null) }
}

test('an administrator issues an API token on the page, it works, and revoked it is refused', { timeout: 120_000 }, async () => {
  await withPage(browser, 'admin-tokens', async (page) => {
    await signIn(page, server.base, 'admin', server.adminPassword)
    await page.locator('[data-test=menu]').getByText('API 令牌').click()
    await page.click('[data-test=token-new-api]')
    await page.fill('input[name=token-name]', 'erp-e2e')
    await choose(page, 'token-role', null, '采购员')
    await page.click('[data-test=token-save]')
    const value = page.locator('[data-test=secret-value]')
    await value.waitFor()
    await page.locator('.el-dialog', { hasText: '无法再次查看' }).waitFor()
    const token = await value.inputValue()
    assert.ok(token.length >= 20, `a token in the dialog, got ${JSON.stringify(token)}`)
    await page.click('[data-test=secret-close]')
    await value.waitFor({ state: 'hidden' })

    // the token works with the purchaser's permissions, and only those
    const me = await api(server.base, '{ me { kind name roles permissions } }', {}, token)
    assert.deepEqual(me.me.roles, ['purchaser'])
    assert.ok(me.me.permissions.includes('purchase.view'))
    assert.ok(!me.me.permissions.includes('user.admin'))
    const orders = await api(server.base, '{ purchaseOrders(first: 1) { totalCount } }', {}, token)
    assert.ok(orders.purchaseOrders.totalCount >= 0)
    const users = await raw('{ users(first: 1) { totalCount } }', token)
    assert.ok(users.body?.errors?.length, 'a purchaser token may not list users')

    // the list shows it; revoked there, it is refused
    const row = page.locator('[data-test=tokens] .el-table__body tr', { hasText: 'erp-e2e' }).first()
    await row.waitFor()
    await row.locator('[data-test=token-revoke]').click()
    await page.locator('.el-popconfirm:visible .el-button--primary').click()
    await row.locator('[data-test=token-revoked]').waitFor()
    const refused = await raw('{ me { name } }', token)
    assert.ok(refused.status === 401 || refused.body?.errors?.length, `a revoked token is refused, got ${refused.status} ${JSON.stringify(refused.body)}`)
    assert.ok(!refused.body?.data?.me, 'no me for a revoked token')
  })
})

test('an administrator registers a webhook endpoint on the page and sends it a test ping', { timeout: 120_000 }, async () => {
  await withPage(browser, 'admin-webhooks', async (page) => {
    await signIn(page, server.base, 'admin', server.adminPassword)
    await page.locator('[data-test=menu]').getByText('Webhook').click()
    await page.click('[data-test=webhook-new]')
    await page.fill('input[name=webhook-name]', 'erp-hook')
    // nothing listens on port 9: the test ping fails with no answer
    await page.fill('input[name=webhook-url]', 'http://127.0.0.1:9/jxc')
    await page.locator('[data-test=webhook-events]').getByText('库存变动').click()
    await page.locator('[data-test=webhook-events]').getByText('单据状态').click()
    await page.click('[data-test=webhook-save]')
    const value = page.locator('[data-test=secret-value]')
    await value.waitFor()
    assert.match(await value.inputValue(), /^whsec_/)
    await page.click('[data-test=secret-close]')
    await value.waitFor({ state: 'hidden' })

    const admin = await apiToken(server.base, 'admin', server.adminPassword)
    const listed = await api(server.base, '{ webhookEndpoints(first: 10) { edges { node { name url enabled eventTypes } } } }', {}, admin)
    const ep = listed.webhookEndpoints.edges.map((e) => e.node).find((n) => n.name === 'erp-hook')
    assert.ok(ep, 'the endpoint exists in the API')
    assert.equal(ep.url, 'http://127.0.0.1:9/jxc')
    assert.equal(ep.enabled, true)
    assert.deepEqual([...ep.eventTypes].sort(), ['DOCUMENT_STATUS', 'STOCK_CHANGED'])

    const row = page.locator('[data-test=webhooks] .el-table__body tr', { hasText: 'erp-hook' }).first()
    await row.locator('[data-test=webhook-ping]').click()
    await page.locator('[data-test=ping-result]', { hasText: '失败' }).waitFor({ timeout: 30_000 })
    // the attempt is in the endpoint's delivery log
    await row.locator('.el-table__expand-icon').click()
    await page.locator('[data-test=webhook-deliveries] .el-table__body tr', { hasText: 'webhook.ping' }).waitFor()
  })
})

test('an administrator creates a role with permissions chosen on the page', { timeout: 90_000 }, async () => {
  await withPage(browser, 'admin-roles', async (page) => {
    await signIn(page, server.base, 'admin', server.adminPassword)
    await page.locator('[data-test=menu]').getByText('角色').click()
    await page.locator('[data-test=roles] .el-table__body tr', { hasText: 'purchaser' }).first().waitFor()
    await page.click('[data-test=role-new]')
    await page.fill('input[name=role-code]', 'auditor_e2e')
    await page.fill('input[name=role-name]', '审计员')
    await page.fill('input[name=role-name-en]', 'Auditor')
    await page.locator('[data-test=role-permissions]').getByText('audit.view', { exact: true }).click()
    await page.locator('[data-test=role-permissions]').getByText('report.view', { exact: true }).click()
    await page.click('[data-test=role-save]')
    await page.locator('[data-test=roles] .el-table__body tr', { hasText: 'auditor_e2e' }).waitFor()
  })
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  const roles = await api(server.base, '{ roles(first: 100) { edges { node { code nameEn builtin permissions } } } }', {}, admin)
  const made = roles.roles.edges.map((e) => e.node).find((r) => r.code === 'auditor_e2e')
  assert.ok(made, 'the role exists in the API')
  assert.equal(made.nameEn, 'Auditor')
  assert.equal(made.builtin, false)
  assert.deepEqual([...made.permissions].sort(), ['audit.view', 'report.view'])
})

test('an administrator edits a custom role, cannot delete it while a token holds it, then deletes it', { timeout: 90_000 }, async () => {
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  const ROLES = '{ roles(first: 100) { edges { node { code permissions } } } }'
  const made = await api(server.base, `mutation { createRole(code: "packer_e2e", name: "打包员", permissions: ["stock.view"]) { ok } }`, {}, admin)
  assert.ok(made.createRole.ok)
  const tok = await api(server.base, `mutation { createApiToken(name: "packer-kiosk", role: "packer_e2e") { id token errors { code } } }`, {}, admin)
  const kiosk = tok.createApiToken.token
  assert.ok(kiosk)
  await withPage(browser, 'admin-roles-edit', async (page) => {
    await signIn(page, server.base, 'admin', server.adminPassword)
    await page.locator('[data-test=menu]').getByText('角色').click()
    const row = page.locator('[data-test=roles] .el-table__body tr', { hasText: 'packer_e2e' })
    assert.equal(await page.locator('[data-test=roles] .el-table__body tr', { hasText: 'purchaser' }).first().locator('[data-test=role-edit]').count(), 0) // built-in: fixed
    await row.locator('[data-test=role-edit]').click()
    assert.ok(await page.locator('input[name=role-code]').isDisabled())
    await page.locator('[data-test=role-permissions]').getByText('sales.view', { exact: true }).click()
    await page.click('[data-test=role-save]')
    await row.filter({ hasText: 'sales.view' }).waitFor()
    // the kiosk token has the new permission at once
    const me = await api(server.base, '{ me { permissions } }', {}, kiosk)
    assert.ok(me.me.permissions.includes('sales.view'))

    await row.locator('[data-test=role-delete]').click()
    await page.locator('.el-message-box__btns .el-button--primary').click()
    await page.locator('[data-test=errors]').filter({ hasText: '不能删除' }).waitFor() // the token still holds it
    await api(server.base, `mutation($id: Int!) { revokeApiToken(id: $id) { ok } }`, { id: Number(tok.createApiToken.id) }, admin)
    await row.locator('[data-test=role-delete]').click()
    await page.locator('.el-message-box__btns .el-button--primary').click()
    await row.waitFor({ state: 'detached' })
  })
  const roles = (await api(server.base, ROLES, {}, admin)).roles.edges.map((e) => e.node.code)
  assert.ok(!roles.includes('packer_e2e'))
})

test('an administrator edits a webhook endpoint and replays the journal to it from a sequence number', { timeout: 90_000 }, async () => {
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  const EPS = '{ webhookEndpoints(first: 20) { edges { node { id name url eventTypes cursor } } } }'
  const made = await api(server.base, `mutation { createWebhookEndpoint(input: {name: "shop-sync", url: "http://127.0.0.1:9/shop", eventTypes: [STOCK_CHANGED]}) {
    endpoint { id } errors { code } } }`, {}, admin)
  assert.deepEqual(made.createWebhookEndpoint.errors, [])
  await withPage(browser, 'admin-webhooks-edit', async (page) => {
    await signIn(page, server.base, 'admin', server.adminPassword)
    await page.goto(`${server.base}/admin/webhooks`)
    const row = page.locator('[data-test=webhooks] .el-table__body tr', { hasText: 'shop-sync' }).first()
    await row.locator('[data-test=webhook-edit]').click()
    assert.equal(await page.locator('input[name=webhook-name]').inputValue(), 'shop-sync')
    await page.fill('input[name=webhook-name]', 'shop-sync-2')
    await page.locator('[data-test=webhook-events]').getByText('可售库存').click()
    await page.click('[data-test=webhook-save]')
    const renamed = page.locator('[data-test=webhooks] .el-table__body tr', { hasText: 'shop-sync-2' }).first()
    await renamed.filter({ hasText: '可售库存' }).waitFor()
    await renamed.locator('[data-test=webhook-replay]').click()
    await page.locator('[data-test=webhook-replay-from] input:visible').fill('1')
    await page.locator('[data-test=webhook-replay-send]:visible').click()
    await page.locator('.el-message--success').filter({ hasText: '重新接收' }).waitFor()
  })
  const ep = (await api(server.base, EPS, {}, admin)).webhookEndpoints.edges.map((e) => e.node).find((n) => n.id === made.createWebhookEndpoint.endpoint.id)
  assert.equal(ep.name, 'shop-sync-2')
  assert.deepEqual([...ep.eventTypes].sort(), ['AVAILABLE_TO_SELL', 'STOCK_CHANGED'])
  assert.equal(ep.cursor, 0) // everything from sequence 1 on is to be sent again
})
