// The camera path of /scan (issue #18): Chromium on Linux has no BarcodeDetector, so the page loads
// zxing-wasm (its .wasm served by jxc as one of the build's assets, nothing from a CDN) and reads a
// label played by Chromium's fake camera; the code goes to the server with the symbology
// identifier zxing reports (`]E0` for EAN-13), and the server's answer is shown.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'
import { startServer, ARTIFACTS } from './jxc-server.mjs'
import { CHROMIUM } from './browser.mjs'
import { pairedDevice, openOrder, startSession } from './scan-helpers.mjs'

const PYTHON = join(resolve(import.meta.dirname, '..', '..'), '.venv', 'bin', 'python')
let server
let browser
let po
let device

before(async () => {
  server = await startServer([])
  let admin
  ;({ admin, device } = await pairedDevice(server, 'gun-camera'))
  po = await openOrder(server.base, admin)
  const video = join(ARTIFACTS, 'camera.y4m')
  execFileSync(PYTHON, [join(import.meta.dirname, 'make-camera-video.py'), po.barcode, video])
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ],
  })
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

test('a label in front of the camera is scanned through zxing-wasm', { timeout: 120_000 }, async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  const logs = []
  page.on('console', (m) => logs.push(m.text()))
  const outside = []
  page.on('request', (r) => {
    if (!r.url().startsWith(server.base)) outside.push(r.url())
  })
  try {
    await page.goto(`${server.base}/scan#token=${encodeURIComponent(device)}`)
    await startSession(page, 'RECEIVE', po.number, po.bin)
    assert.equal(await page.evaluate(() => 'BarcodeDetector' in window), false)
    const wasm = page.waitForResponse((r) => r.url().endsWith('.wasm'))
    await page.click('[data-test=scan-camera]')
    const resp = await wasm
    assert.match(resp.url(), new RegExp(`^${server.base}/assets/zxing_reader-.*\\.wasm$`))
    assert.equal(resp.headers()['content-type'], 'application/wasm')
    const first = page.locator('[data-test=scan-log] li').first()
    await first.locator('.code').filter({ hasText: po.barcode }).waitFor({ timeout: 30_000 })
    assert.equal(await first.locator('.code').innerText(), `]E0${po.barcode}`)
    await page.locator('[data-test=scan-last][data-status=ok]').waitFor()
    assert.deepEqual(outside, [])
  } catch (e) {
    await page.screenshot({ path: join(ARTIFACTS, 'scan-camera.png') })
    console.log(logs.join('\n'))
    throw e
  } finally {
    await context.close()
  }
})
