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

/** An approved purchase order from the demo's S001 into SH01 for `quantity` of `sku` (approved by
 * `manager`, a purchase manager's token, when submitting does not approve it), with the product's
 * EAN and a bin of SH01. */
export async function approvedOrder(base, admin, manager, sku, quantity) {
  const { products } = await api(base, `query($t: String!) { products(filter: { text: $t }, first: 5) { edges { node { id sku
    barcodes { code } } } } }`, { t: sku }, admin)
  const item = products.edges.map((e) => e.node).find((p) => p.sku === sku)
  const { suppliers } = await api(base, `{ suppliers(first: 50) { edges { node { id code } } } }`, {}, admin)
  const { warehouses } = await api(base, `{ warehouses(first: 20) { edges { node { id code } } } }`, {}, admin)
  const supplier = suppliers.edges.map((e) => e.node).find((s) => s.code === 'S001')
  const warehouse = warehouses.edges.map((e) => e.node).find((w) => w.code === 'SH01')
  const made = await api(
    base,
    `mutation($in: PurchaseOrderInput!) { createPurchaseOrder(input: $in) { order { id number } errors { code message } } }`,
    { in: { supplierId: supplier.id, warehouseId: warehouse.id, lines: [{ productId: item.id, quantity }] } },
    admin,
  )
  const order = made.createPurchaseOrder.order
  if (!order) throw new Error(JSON.stringify(made.createPurchaseOrder.errors))
  const submitted = await api(base, `mutation($id: ID!) { submitPurchaseOrder(id: $id) { order { status } errors { code } } }`, { id: order.id }, admin)
  if (submitted.submitPurchaseOrder.order?.status !== 'approved') {
    const approved = await api(base, `mutation($id: ID!) { approvePurchaseOrder(id: $id) { order { status } errors { code message } } }`, { id: order.id }, manager)
    if (approved.approvePurchaseOrder.errors.length) throw new Error(JSON.stringify(approved.approvePurchaseOrder.errors))
  }
  const bins = await api(base, `{ locations(first: 100) { edges { node { code warehouse { code } } } } }`, {}, admin)
  const bin = bins.locations.edges.map((e) => e.node).find((l) => l.warehouse.code === 'SH01' && /-\d\d-\d\d$/.test(l.code))
  const barcode = item.barcodes.map((b) => b.code).find((c) => /^\d{13}$/.test(c))
  return { number: order.number, productId: item.id, sku, barcode, bin: bin.code }
}

/** Wait until the service worker controls the page and holds the page and its scripts. Polled from
 * here: page.waitForFunction does not await an async predicate (its pending promise counts as true). */
export async function shellCached(page) {
  const deadline = Date.now() + 20_000
  for (;;) {
    const ready = await page.evaluate(async () => {
      if (navigator.serviceWorker.controller?.state !== 'activated') return false
      const cache = await caches.open('jxc-scan-v1')
      const keys = (await cache.keys()).map((r) => new URL(r.url).pathname)
      const loaded = performance
        .getEntriesByType('resource')
        .map((e) => new URL(e.name).pathname)
        .filter((p) => p.startsWith('/assets/'))
      const page = await cache.match('/scan')
      const whole = page !== undefined && (await page.text()).includes('</html>')
      return whole && loaded.length >= 2 && loaded.every((p) => keys.includes(p))
    })
    if (ready) return
    if (Date.now() > deadline) throw new Error('the service worker did not take the /scan shell within 20 s')
    await page.waitForTimeout(250)
  }
}
