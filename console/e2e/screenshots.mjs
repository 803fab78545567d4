// `npm run screenshots`: the README's pictures of the console (docs/screenshots/), taken on the demo
// company in Debian's Chromium — the sales orders, stock, the vouchers, a report, the
// available-to-sell page and the phone scan page. Not a test; run it after a visible change.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { ROOT, startServer } from './jxc-server.mjs'
import { CHROMIUM, signIn } from './browser.mjs'

// the CJK font jxc embeds in its PDFs (server/core/fonts/), so that the pictures show Chinese on a
// machine without CJK fonts installed
function fontconfig() {
  const dir = mkdtempSync(join(tmpdir(), 'jxc-fonts-'))
  const conf = join(dir, 'fonts.conf')
  writeFileSync(conf, `<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>
<include ignore_missing="yes">/etc/fonts/fonts.conf</include><dir>${join(ROOT, 'server', 'core', 'fonts')}</dir>
<cachedir>${join(dir, 'cache')}</cachedir></fontconfig>`)
  return conf
}

const OUT = join(ROOT, 'docs', 'screenshots')
const SHOTS = [
  ['sales-orders', '/sales/orders', '.el-table__body tr'],
  ['stock', '/inventory/stock', '.el-table__body tr'],
  ['vouchers', '/finance/vouchers', '.el-table__body tr'],
  ['report-sales', '/reporting/sales', 'canvas'],
  ['available-to-sell', '/inventory/available-to-sell', '.el-table__body tr'],
]

mkdirSync(OUT, { recursive: true })
const server = await startServer([])
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  env: { ...process.env, FONTCONFIG_FILE: fontconfig() },
})
try {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 800 } })
  const page = await context.newPage()
  await signIn(page, server.base, 'admin', server.adminPassword)
  for (const [name, path, ready] of SHOTS) {
    await page.goto(`${server.base}${path}`)
    await page.locator(ready).first().waitFor()
    await page.waitForLoadState('networkidle')
    await page.waitForTimeout(600) // charts finish their animation
    await page.screenshot({ path: join(OUT, `${name}.png`) })
    console.log(`docs/screenshots/${name}.png`)
  }
  const phone = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 760 }, isMobile: true })
  const scan = await phone.newPage()
  await signIn(scan, server.base, 'admin', server.adminPassword)
  await scan.goto(`${server.base}/scan`)
  await scan.waitForLoadState('networkidle')
  await scan.screenshot({ path: join(OUT, 'scan-phone.png') })
  console.log('docs/screenshots/scan-phone.png')
} finally {
  await browser.close()
  await server.stop()
}
