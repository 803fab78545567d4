// Shared by the /scan browser tests (issue #18): a paired handheld (a `scan_device` token made
// through the API), the demo's partly received purchase order, and wedge bursts typed fast.
import { api, apiToken } from './jxc-server.mjs'

export async function pairedDevice(server, name) {
  const admin = await apiToken(server.base, 'admin', server.adminPassword)
  const made = await api(
    server.base,
    `mutation($n: String!) { createApiToken(name: $n, role: "scan_device") { token errors { code message } } }`,
    { n: name },
    admin,
  )
  if (!made.createApiToken.token) throw new Error(JSON.stringify(made.createApiToken.errors))
  return { admin, device: made.createApiToken.token }
}

const ORDERS = `{ purchaseOrders(first: 5) { edges { node { number status warehouse { code }
  lines { receivedQuantity quantity product { sku barcodes { code } } } } } } }`

/** The demo order still open for receiving, a line of it with its barcode, and a bin of its warehouse. */
export async function openOrder(base, admin) {
  const data = await api(base, ORDERS, {}, admin)
  const order = data.purchaseOrders.edges.map((e) => e.node).find((o) => /partial/i.test(o.status))
  if (!order) throw new Error('no partly received demo order')
  const line = order.lines.find((l) => Number(l.receivedQuantity) + 20 <= Number(l.quantity))
  const barcode = line.product.barcodes.map((b) => b.code).find((c) => /^\d{13}$/.test(c))
  const bins = await api(base, `{ locations(first: 100) { edges { node { code warehouse { code } } } } }`, {}, admin)
  const bin = bins.locations.edges.map((e) => e.node).find((l) => l.warehouse.code === order.warehouse.code && /-\d\d-\d\d$/.test(l.code))
  return { number: order.number, sku: line.product.sku, barcode, bin: bin.code }
}

export async function received(base, admin, number, sku) {
  const data = await api(base, ORDERS, {}, admin)
  const order = data.purchaseOrders.edges.map((e) => e.node).find((o) => o.number === number)
  return Number(order.lines.find((l) => l.product.sku === sku).receivedQuantity)
}

/** What a keyboard-wedge scanner does: the whole code within a few milliseconds, then its suffix. */
export async function wedge(page, text, suffix = 'Enter') {
  await page.keyboard.type(text, { delay: 4 })
  await page.keyboard.press(suffix)
}

export async function startSession(page, mode, document, bin) {
  await page.click(`[data-test=mode-${mode}]`)
  await page.fill('[data-test=scan-document]', document)
  await page.fill('[data-test=scan-location]', bin)
  await page.click('[data-test=scan-start]')
  await page.locator('[data-test=scan-session]').waitFor()
  await page.locator('[data-test=scan-capture]').focus()
}
