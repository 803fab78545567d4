// The network between the browser and jxc, as a switch (issue #18's offline tests): a TCP relay on its
// own port in front of the server. `down()` drops every open connection and refuses new ones — what a
// handheld sees when the Wi-Fi goes — for the page and its service worker alike, without the browser's
// network emulation (which does not reach a service worker's own requests); `up()` listens again on
// the same port.
import { createServer, connect } from 'node:net'

export async function netSwitch(target) {
  const { hostname, port: targetPort } = new URL(target)
  const sockets = new Set()
  const track = (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  }
  const relay = createServer((client) => {
    const upstream = connect(Number(targetPort), hostname)
    track(client)
    track(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  const listen = (port) =>
    new Promise((ok, fail) => {
      relay.once('error', fail)
      relay.listen(port, '127.0.0.1', () => {
        relay.off('error', fail)
        ok(relay.address().port)
      })
    })
  const port = await listen(0)
  return {
    base: `http://127.0.0.1:${port}`,
    async down() {
      await new Promise((ok) => {
        relay.close(() => ok())
        for (const s of sockets) s.destroy()
      })
    },
    async up() {
      await listen(port)
    },
    async close() {
      if (relay.listening) await this.down()
    },
  }
}
