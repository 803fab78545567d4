// 200 scans offline, a reload, then a replay that loses its answers and a server killed with
// kill -9 in the middle of it (issue #18): the device resends what it never heard back about, the
// server answers those from its records, and the receipt holds exactly the 200 scans, once each.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api, apiToken } from './jxc-server.mjs'
import { launch, withPage } from './browser.mjs'
import { netSwitch } from './net-switch.mjs'
import { approvedOrder, pairedDevice, received, wedge, startSession, shellCached } from './scan-helpers.mjs'

const MANAGER = { username: 'replay-manager', role: 'purchase_manager', password: 'replay-manager-password' }
const N = 200
let server
let net
let browser

before(async () => {
  server = await startServer([MANAGER])
  net = await netSwitch(server.base)
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await net?.close()
  await server?.stop()
})

const okCount = (page) => page.locator('[data-test=scan-log] li[data-status=ok]').count()

test('200 offline scans survive a reload, lost answers and kill -9, and count once each', { timeout: 240_000 }, async () => {
  const { admin, device } = await pairedDevice(server, 'gun-replay')
  const manager = await apiToken(server.base, MANAGER.username, MANAGER.password)
  const po = await approvedOrder(server.base, admin, manager, 'DRK-002', '300')
  const number = po.number

  await withPage(browser, 'scan-replay', async (page) => {
    await page.addInitScript(() => localStorage.setItem('jxc.scan.wedge', JSON.stringify({ maxGapMs: 200 })))
    await page.goto(`${net.base}/scan#token=${encodeURIComponent(device)}`)
    await page.locator('[data-test=mode-RECEIVE]').waitFor()
    await shellCached(page)

    await net.down() // the session starts offline too
    await startSession(page, 'RECEIVE', number, po.bin)
    for (let i = 0; i < N; i++) await wedge(page, po.barcode)
    await page.locator('[data-test=scan-queued]').filter({ hasText: String(N) }).waitFor()
    await page.reload() // still offline: the page from its service worker, the queue from the device
    await page.locator('[data-test=scan-session]').waitFor()
    await page.locator('[data-test=scan-queued]').filter({ hasText: String(N) }).waitFor()

    // the network returns, but the answers of the first batch are lost after the server committed it
    net.loseAnswers('scanBatch')
    await net.up()
    await page.evaluate(() => window.dispatchEvent(new Event('online')))
    for (const deadline = Date.now() + 30_000; net.lost < 1; ) {
      if (Date.now() > deadline) throw new Error('no batch reached the server')
      await page.waitForTimeout(50)
    }
    await server.kill9() // in the middle of the replay
    net.keepAnswers()
    assert.equal(await okCount(page), 0, 'the device heard no answer')
    await server.restart()
    await page.evaluate(() => window.dispatchEvent(new Event('online')))
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=scan-log] li[data-status=ok]').length >= Math.min(n, 30), N, {
      timeout: 60_000,
    })
    await page.locator('[data-test=scan-queued]').waitFor({ state: 'detached', timeout: 60_000 })
    assert.equal(await page.locator('[data-test=scan-log] li[data-status=refused]').count(), 0)
    assert.match(await page.locator('[data-test=scan-last] .msg').innerText(), new RegExp(`${N} / 300`))
    await page.click('[data-test=scan-complete]')
    await page.locator('[data-test=scan-completed]').waitFor({ timeout: 30_000 })
  }, { viewport: { width: 412, height: 860 } })

  assert.equal(await received(server.base, admin, number, po.sku), N)
  const { goodsReceipts } = await api(server.base, `{ goodsReceipts(first: 50) { edges { node { order { number } } } } }`, {}, admin)
  assert.equal(goodsReceipts.edges.filter((e) => e.node.order?.number === number).length, 1, 'one receipt')
})
