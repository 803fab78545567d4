// Pairing a handheld (issue #18): a warehouse supervisor (device.pair) opens /scan/pair, creates a device token and
// sees it as a QR code and a link; the handheld opening the link keeps the token and can scan — and
// the token can do nothing else.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, api } from './jxc-server.mjs'
import { launch, withPage, signIn } from './browser.mjs'

const KEEPER = { username: 'pair-keeper', role: 'warehouse_keeper', password: 'pair-keeper-password' }
let server
let browser

before(async () => {
  server = await startServer([KEEPER])
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

test('a warehouse supervisor pairs a handheld by QR code and link', { timeout: 120_000 }, async () => {
  const link = await withPage(browser, 'scan-pair', async (page) => {
    await signIn(page, server.base, KEEPER.username, KEEPER.password)
    await page.locator('[data-test=menu]').getByText('配对扫码枪').click() // the menu leads to the pairing page
    await page.waitForURL(/\/scan\/pair$/)
    await page.fill('[data-test=pair-name]', 'gun-07')
    await page.click('[data-test=pair-create]')
    await page.locator('[data-test=pair-qr] svg').waitFor()
    return page.locator('[data-test=pair-link]').innerText()
  })
  const m = link.match(/\/scan#token=(.+)$/)
  assert.ok(m, link)
  const token = decodeURIComponent(m[1])
  const me = await api(server.base, '{ me { kind name permissions } }', {}, token)
  assert.deepEqual(me.me.permissions, ['scan.use'])
  await assert.rejects(api(server.base, '{ stockLevels(first: 1) { edges { node { __typename } } } }', {}, token), /PERMISSION_DENIED/)

  await withPage(browser, 'scan-paired', async (page) => {
    await page.goto(link)
    await page.locator('[data-test=mode-RECEIVE]').waitFor()
    assert.equal(await page.evaluate(() => localStorage.getItem('jxc.scan.token')), token)
    await page.click('[data-test=scan-settings]')
    await page.locator('[data-test=wedge-settings]').getByText('gun-07').waitFor()
  })
})
