// The handheld page /scan (issue #18): paired by its device token in the URL fragment, it opens
// offline from its service worker, starts a session and takes wedge scans offline (queued in
// IndexedDB), keeps them over a reload, and sends them once each when the network is back — the
// server's data shows exactly those scans. Wedge bursts with a prefix and a suffix arrive as the
// right codes; slow typing is not a scan.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api } from './jxc-server.mjs'
import { launch, withPage } from './browser.mjs'
import { netSwitch } from './net-switch.mjs'
import { pairedDevice, openOrder, received, wedge, startSession, shellCached } from './scan-helpers.mjs'

let server
let net // the handheld's network: the page and its service worker reach jxc through it
let browser

before(async () => {
  server = await startServer([])
  net = await netSwitch(server.base)
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await net?.close()
  await server?.stop()
})

const PHONE = { viewport: { width: 412, height: 860 } }

test('offline wedge scans survive a reload and reach the server exactly once each', { timeout: 120_000 }, async () => {
  const { admin, device } = await pairedDevice(server, 'gun-offline')
  // the device token can scan and nothing else
  await assert.rejects(api(server.base, '{ products(first: 1) { edges { node { sku } } } }', {}, device), /PERMISSION_DENIED/)
  const po = await openOrder(server.base, admin)
  const before = await received(server.base, admin, po.number, po.sku)
  const N = 5

  await withPage(browser, 'scan-offline', async (page) => {
    await page.goto(`${net.base}/scan#token=${encodeURIComponent(device)}`)
    await page.locator('[data-test=mode-RECEIVE]').waitFor()
    assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar')
    assert.equal(await page.evaluate(() => localStorage.getItem('jxc.scan.token')), device)
    // installable: the manifest is linked and served
    assert.equal(await page.locator('link[rel=manifest]').getAttribute('href'), '/manifest.webmanifest')
    await shellCached(page)

    await net.down()
    await page.reload()
    await page.locator('[data-test=mode-RECEIVE]').waitFor() // the shell came from the service worker
    assert.equal(await page.evaluate(() => fetch('/healthz').then(() => 'reached', () => 'offline')), 'offline')
    assert.ok(await page.evaluate(() => !!navigator.serviceWorker.controller))
    await startSession(page, 'RECEIVE', po.number, po.bin)
    for (let i = 0; i < N; i++) {
      await wedge(page, po.barcode)
      await page.locator('[data-test=scan-log] li').nth(i).waitFor()
    }
    await page.locator('[data-test=scan-queued]').filter({ hasText: String(N) }).waitFor()
    assert.equal(await page.locator('[data-test=scan-log] li[data-status=queued]').count(), N)

    await page.reload() // still offline: the queue is on the device
    await page.locator('[data-test=scan-session]').waitFor()
    assert.equal(await page.locator('[data-test=scan-log] li[data-status=queued]').count(), N)
    assert.equal(await received(server.base, admin, po.number, po.sku), before, 'nothing reached the server yet')

    await net.up()
    await page.evaluate(() => window.dispatchEvent(new Event('online')))
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=scan-log] li[data-status=ok]').length === n, N, {
      timeout: 30_000,
    })
    const last = await page.locator('[data-test=scan-last]').innerText()
    assert.match(last, new RegExp(po.number))
    await page.click('[data-test=scan-complete]')
    await page.locator('[data-test=scan-completed]').waitFor({ timeout: 30_000 })
    await page.reload() // a reload after everything was sent sends nothing again
    await page.locator('[data-test=scan-completed]').waitFor()
  }, PHONE)

  assert.equal(await received(server.base, admin, po.number, po.sku), before + N)
})

test('wedge bursts with a prefix and a suffix arrive as the codes; slow typing is no scan', { timeout: 120_000 }, async () => {
  const { admin, device } = await pairedDevice(server, 'gun-prefix')
  const po = await openOrder(server.base, admin)
  await withPage(browser, 'scan-prefix', async (page) => {
    await page.goto(`${net.base}/scan`)
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-test') === 'scan-capture') // mounted
    // paired by typing the token
    await page.fill('[data-test=scan-token]', device)
    assert.equal(await page.inputValue('[data-test=scan-token]'), device)
    await page.click('[data-test=scan-pair-save]')
    await page.locator('[data-test=mode-RECEIVE]').waitFor()

    await page.click('[data-test=scan-settings]')
    await page.fill('[data-test=wedge-prefix]', '~')
    await page.selectOption('[data-test=wedge-suffix]', 'Tab')
    await page.click('[data-test=wedge-save]')
    await page.reload() // the settings are kept on the device
    await page.click('[data-test=scan-settings]')
    assert.equal(await page.inputValue('[data-test=wedge-prefix]'), '~')
    assert.equal(await page.inputValue('[data-test=wedge-suffix]'), 'Tab')
    await page.click('[data-test=wedge-save]')

    await startSession(page, 'RECEIVE', po.number, po.bin)
    await wedge(page, `~${po.barcode}`, 'Tab')
    const first = page.locator('[data-test=scan-log] li').first()
    await first.locator('.code').filter({ hasText: po.barcode }).waitFor()
    assert.equal(await first.locator('.code').innerText(), po.barcode)
    await page.locator('[data-test=scan-last][data-status=ok]').waitFor()

    // a person typing the same keys slowly is not a scanner
    await page.keyboard.type(`~${po.barcode}`, { delay: 90 })
    await page.keyboard.press('Tab')
    // Enter is not this scanner's suffix
    await page.locator('[data-test=scan-capture]').focus()
    await wedge(page, `~${po.barcode}`, 'Enter')
    await page.waitForTimeout(500)
    assert.equal(await page.locator('[data-test=scan-log] li').count(), 1)

    // a refused code: the server's message, shown as refused
    await page.locator('[data-test=scan-capture]').focus()
    await wedge(page, '~6901234567890', 'Tab')
    await page.locator('[data-test=scan-last][data-status=refused]').waitFor()
    assert.ok((await page.locator('[data-test=scan-last] .msg').innerText()).length > 3)
  })
})
