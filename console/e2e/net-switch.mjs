// The network between the browser and jxc, as a switch (issue #18's offline tests): a TCP relay on its
// own port in front of the server. `down()` drops every open connection and refuses new ones — what a
// handheld sees when the Wi-Fi goes — for the page and its service worker alike, without the browser's
// network emulation (which does not reach a service worker's own requests); `up()` listens again on
// the same port. `loseAnswers(marker)`: requests whose text holds `marker` reach the server, but
// their answers are dropped and the connection cut once the server has answered (it committed, the
// device never heard), counted in `lost`; `keepAnswers()` ends that.
import { createServer, connect } from 'node:net'

export async function netSwitch(target) {
  const { hostname, port: targetPort } = new URL(target)
  const sockets = new Set()
  const track = (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  }
  const state = { marker: null, lost: 0 }
  const relay = createServer((client) => {
    const upstream = connect(Number(targetPort), hostname)
    track(client)
    track(upstream)
    let request = '' // what the client sent since the last answer
    let swallow = false
    client.on('data', (chunk) => {
      request += chunk.toString('latin1')
      if (state.marker && request.includes(state.marker)) swallow = true
      upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      request = ''
      if (!swallow) return void client.write(chunk)
      state.lost += 1 // the server answered: it has committed, and the answer is lost
      client.destroy()
      upstream.destroy()
    })
    client.on('end', () => upstream.end())
    upstream.on('end', () => client.end())
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
    get lost() {
      return state.lost
    },
    loseAnswers(marker) {
      state.marker = marker
    },
    keepAnswers() {
      state.marker = null
    },
    async close() {
      if (relay.listening) await this.down()
    },
  }
}
