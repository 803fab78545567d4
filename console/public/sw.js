// The handheld page's service worker (issue #18): /scan opens without a network.
// * the page (index.html) is fetched from the network first and kept as the offline copy of /scan;
// * /assets/… are Vite's content-hashed files: cache first (a name never changes its content);
//   the page tells the worker which of them it loaded (message `cache`), so the shell of the first
//   visit is cached too;
// * the API (/graphql, POST) and everything else go to the network untouched: scans wait in the
//   page's IndexedDB queue, never in this worker.
const CACHE = 'jxc-scan-v1'
const SHELL = ['/scan', '/manifest.webmanifest', '/scan-icon-192.png', '/scan-icon-512.png']

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  )
})

self.addEventListener('message', (event) => {
  const urls = (event.data && event.data.cache) || []
  const own = urls.filter((u) => new URL(u, self.location.origin).origin === self.location.origin)
  event.waitUntil(
    caches.open(CACHE).then((c) =>
      Promise.all(own.map((u) => c.match(u).then((hit) => hit || c.add(u).catch(() => undefined)))),
    ),
  )
})

self.addEventListener('fetch', (event) => {
  const req = event.request
  if (req.method !== 'GET') return
  const url = new URL(req.url)
  if (url.origin !== self.location.origin) return
  if (req.mode === 'navigate' && (url.pathname === '/scan' || url.pathname.startsWith('/scan/'))) {
    event.respondWith(
      fetch(req)
        .then((resp) => {
          if (resp.ok) {
            const copy = resp.clone()
            // kept alive until stored: an offline reload right after must find the whole page
            event.waitUntil(caches.open(CACHE).then((c) => c.put('/scan', copy)))
          }
          return resp
        })
        .catch(() => caches.match('/scan').then((hit) => hit || Response.error())),
    )
    return
  }
  if (url.pathname.startsWith('/assets/') || SHELL.includes(url.pathname)) {
    event.respondWith(
      caches.match(req).then(
        (hit) =>
          hit ||
          fetch(req).then((resp) => {
            if (resp.ok && url.pathname.startsWith('/assets/')) {
              const copy = resp.clone()
              caches.open(CACHE).then((c) => c.put(req, copy))
            }
            return resp
          }),
      ),
    )
  }
})
