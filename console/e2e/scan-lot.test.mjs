// Lots typed by hand on /scan (issue #18): the demo's yogurt is tracked by lot and its EAN carries
// none, so the server refuses the scan (LOT_REQUIRED); the page asks for the lot and expiry on the
// spot and sends the code again with them; a quantity typed for the next scan counts once. The
// receipt the session posts holds the typed lot, its expiry and the quantities.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api, apiToken } from './jxc-server.mjs'
import { launch, withPage } from './browser.mjs'
import { approvedOrder, pairedDevice, wedge, startSession } from './scan-helpers.mjs'

const MANAGER = { username: 'lot-manager', role: 'purchase_manager', password: 'lot-manager-password' }
let server
let browser

before(async () => {
  server = await startServer([MANAGER])
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

test('a lot typed on the device completes a scan its label cannot', { timeout: 120_000 }, async () => {
  const { admin, device } = await pairedDevice(server, 'gun-lot')
  const manager = await apiToken(server.base, MANAGER.username, MANAGER.password)
  const po = await approvedOrder(server.base, admin, manager, 'DRK-009', '20') // tracked by lot, a plain EAN
  await withPage(browser, 'scan-lot', async (page) => {
    // this handheld leaves up to 200 ms between keys (a setting of the page): a busy test machine may
    // deliver a burst's keys that far apart
    await page.addInitScript(() => localStorage.setItem('jxc.scan.wedge', JSON.stringify({ maxGapMs: 200 })))
    await page.goto(`${server.base}/scan#token=${encodeURIComponent(device)}`)
    await page.locator('[data-test=mode-RECEIVE]').waitFor()
    await startSession(page, 'RECEIVE', po.number, po.bin)

    await wedge(page, po.barcode)
    await page.locator('[data-test=scan-last][data-status=refused]').waitFor()
    await page.locator('[data-test=scan-lot-prompt]').waitFor()
    await page.click('[data-test=scan-lot-ask]')
    await page.fill('[data-test=scan-typed-lot]', 'Y-20261130')
    await page.fill('[data-test=scan-typed-expiry]', '2027-01-15')
    await page.fill('[data-test=scan-typed-quantity]', '6')
    await page.click('[data-test=scan-resend]')
    await page.locator('[data-test=scan-last][data-status=ok]').waitFor()
    assert.match(await page.locator('[data-test=scan-last] .msg').innerText(), /6 \/ 20/)
    assert.equal(await page.inputValue('[data-test=scan-typed-quantity]'), '', 'a typed quantity counts once')

    // the lot stays for the scans that follow: the next scans need nothing typed
    await page.locator('[data-test=scan-capture]').focus()
    await wedge(page, po.barcode)
    await page.locator('[data-test=scan-log] li[data-status=ok]').nth(1).waitFor()
    assert.match(await page.locator('[data-test=scan-last] .msg').innerText(), /7 \/ 20/)
    await page.click('[data-test=scan-complete]')
    await page.locator('[data-test=scan-completed]').waitFor({ timeout: 30_000 })
  }, { locale: 'en' })

  const { stockLevels } = await api(
    server.base,
    `query($p: ID!) { stockLevels(filter: { productId: $p }, first: 50) { edges { node { quantity lot { code expiryDate } } } } }`,
    { p: po.productId },
    admin,
  )
  const typed = stockLevels.edges.map((e) => e.node).filter((n) => n.lot?.code === 'Y-20261130')
  assert.equal(typed.length, 1)
  assert.equal(typed[0].lot.expiryDate, '2027-01-15')
  assert.equal(Number(typed[0].quantity), 7)
})
