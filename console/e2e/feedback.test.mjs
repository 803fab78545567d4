// User feedback in the console (#21): a purchaser sends a problem from the purchase orders page (the
// screen is filled in); the administrator sees it with that screen in 用户反馈 and answers it; the
// purchaser reads the answer under 我的反馈; a purchaser has no 用户反馈 page in the menu.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api, apiToken } from './jxc-server.mjs'
import { launch, withPage, signIn } from './browser.mjs'

const PURCHASER = { username: 'fankui', role: 'purchaser', password: 'purchaser-pass-1' }
const MESSAGE = '采购订单列表加载很慢 e2e'
const ANSWER = '已优化索引，请刷新后再试。'
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

const dialog = (page) => page.locator('.el-dialog').filter({ hasText: '意见反馈' })

test('a purchaser sends feedback from a screen, the administrator answers, the purchaser reads it', { timeout: 120_000 }, async () => {
  await withPage(browser, 'feedback-purchaser-send', async (page) => {
    await signIn(page, server.base, PURCHASER.username, PURCHASER.password)
    await page.locator('[data-test=menu]').getByText('采购订单').click()
    await page.waitForURL(/\/purchasing\/orders$/)
    assert.equal(await page.locator('[data-test=menu]').getByText('用户反馈').count(), 0)
    await page.click('[data-test=feedback-open]')
    const d = dialog(page)
    await d.waitFor()
    assert.equal(await d.locator('input[data-test=feedback-screen]').inputValue(), '/purchasing/orders')
    await d.locator('textarea[data-test=feedback-message]').fill(MESSAGE)
    await d.locator('[data-test=feedback-send]').click()
    await page.locator('.el-message--success').filter({ hasText: '反馈已提交' }).waitFor()
    await d.locator('[data-test=feedback-mine]', { hasText: MESSAGE }).waitFor()
  })
  await withPage(browser, 'feedback-admin-answer', async (page) => {
    await signIn(page, server.base, 'admin', server.adminPassword)
    await page.locator('[data-test=menu]').getByText('用户反馈').click()
    const row = page.locator('[data-test=feedback-table] .el-table__body tr', { hasText: MESSAGE }).first()
    await row.waitFor()
    assert.match(await row.innerText(), /\/purchasing\/orders/)
    assert.match(await row.innerText(), /user:fankui/)
    await row.locator('[data-test=feedback-reply]').click()
    const d = page.locator('.el-dialog').filter({ hasText: MESSAGE })
    await d.locator('textarea[data-test=feedback-answer-text]').fill(ANSWER)
    await d.locator('[data-test=feedback-answer-save]').click()
    await page.locator('.el-message--success').filter({ hasText: '已答复' }).waitFor()
    await page.locator('[data-test=feedback-table] .el-table__body tr', { hasText: ANSWER }).first().waitFor()
  })
  await withPage(browser, 'feedback-purchaser-reads', async (page) => {
    await signIn(page, server.base, PURCHASER.username, PURCHASER.password)
    await page.click('[data-test=feedback-open]')
    const d = dialog(page)
    await d.locator('.el-tabs__item', { hasText: '我的反馈' }).click()
    const item = d.locator('[data-test=feedback-mine]', { hasText: MESSAGE })
    await item.locator('[data-test=feedback-answer]', { hasText: ANSWER }).waitFor()
  })
  // the report names the requests the purchaser's console made just before (x-request-id)
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  const all = await api(server.base, '{ feedback(first: 10) { edges { node { message requestIds } } } }', {}, admin)
  const sent = all.feedback.edges.map((e) => e.node).find((f) => f.message === MESSAGE)
  assert.match(sent.requestIds, /^[0-9a-f]{16}(,[0-9a-f]{16})*$/)
})
