// Debian's Chromium through playwright-core (Playwright's own browser download does not work here).
import { chromium } from 'playwright-core'
import { join } from 'node:path'
import { ARTIFACTS } from './jxc-server.mjs'

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Run `fn(page)`; on failure save a screenshot (and the page's console) into e2e/artifacts/. */
export async function withPage(browser, name, fn, { locale = 'zh-CN' } = {}) {
  const context = await browser.newContext({ locale, viewport: { width: 1400, height: 900 } })
  const page = await context.newPage()
  const logs = []
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`))
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`))
  try {
    const result = await fn(page, logs)
    // nothing blocked by the Content-Security-Policy, no uncaught error
    const bad = logs.filter((l) => l.startsWith('[pageerror]') || /Content Security Policy|Refused to/.test(l))
    if (bad.length) throw new Error(`the page reported:\n${bad.join('\n')}`)
    return result
  } catch (err) {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true }).catch(() => {})
    const { writeFileSync } = await import('node:fs')
    writeFileSync(join(ARTIFACTS, `${name}.console.txt`), logs.join('\n'))
    throw err
  } finally {
    await context.close()
  }
}

export async function signIn(page, base, username, password) {
  await page.goto(`${base}/`)
  await page.waitForURL(/\/signin/)
  await page.fill('input[name=username]', username)
  await page.fill('input[name=password]', password)
  await page.click('[data-test=signin-submit]')
  await page.locator('[data-test=who]').filter({ hasText: username }).waitFor()
}

/** Pick an option of an Element Plus (remote) select by typing and clicking the option. */
export async function choose(page, selectTest, typed, optionText) {
  const select = page.locator(`[data-test=${selectTest}]`).last()
  await select.click()
  if (typed) await select.locator('input').fill(typed)
  const option = page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: optionText }).first()
  await option.click()
}
