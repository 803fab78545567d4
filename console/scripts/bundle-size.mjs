// The JS a first visit loads before any route's chunk: the entry script of dist/index.html and
// the chunks it preloads. Fails the build above the budget (500 KB gzipped, issue #17).
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join } from 'node:path'

const BUDGET = 500 * 1024
const dist = new URL('../dist/', import.meta.url).pathname
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1])
let raw = 0
let gz = 0
for (const f of new Set(files)) {
  const body = readFileSync(join(dist, f))
  raw += body.length
  gz += gzipSync(body, { level: 9 }).length
}
const kb = (n) => (n / 1024).toFixed(1)
console.log(`initial JS: ${files.length} file(s), ${kb(raw)} KB, ${kb(gz)} KB gzipped (budget ${kb(BUDGET)} KB)`)
if (gz > BUDGET) {
  console.error('initial JS is over the budget')
  process.exit(1)
}
