// A real jxc server for the browser test: a fresh SQLite database (migrated, demo data loaded, two
// users created through the `jxc` command), served by `jxc serve` on a free port with the console
// build in ../dist.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, openSync, mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '..', '..')
const JXC = process.env.JXC_BIN ?? join(ROOT, '.venv', 'bin', 'jxc')
export const ARTIFACTS = join(import.meta.dirname, 'artifacts')

async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => ok(port))
    })
    s.on('error', fail)
  })
}

export async function startServer(users) {
  mkdirSync(ARTIFACTS, { recursive: true })
  writeFileSync(join(ARTIFACTS, 'server.log'), '')
  const dir = mkdtempSync(join(tmpdir(), 'jxc-e2e-'))
  const env = {
    ...process.env,
    JXC_SQLITE_PATH: join(dir, 'jxc.sqlite3'),
    JXC_ADMIN_PASSWORD: 'admin-e2e-password',
    JXC_CONSOLE_DIR: join(ROOT, 'console', 'dist'),
    JXC_LOG_LEVEL: 'warning',
    JXC_JOBS: '0',
  }
  delete env.DATABASE_URL
  const run = (...args) => execFileSync(JXC, args, { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  run('migrate')
  run('demo-data')
  for (const u of users) run('user', 'create', u.username, '--role', u.role, '--password', u.password, '--display-name', u.username)
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  let proc
  const up = async () => {
    const log = openSync(join(ARTIFACTS, 'server.log'), 'a')
    proc = spawn(JXC, ['serve', '--port', String(port)], { env, cwd: dir, stdio: ['ignore', log, log] })
    const deadline = Date.now() + 120_000 // a loaded 2-core machine was seen to take 37 s
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`jxc serve exited (${proc.exitCode}); see e2e/artifacts/server.log`)
      try {
        if ((await fetch(`${base}/healthz`)).ok) break
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error('jxc serve did not come up in 120 s')
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  const exited = () => new Promise((ok) => (proc.exitCode !== null || proc.signalCode !== null ? ok() : proc.once('exit', ok)))
  await up()
  return {
    base,
    adminPassword: env.JXC_ADMIN_PASSWORD,
    /** kill -9: no shutdown, whatever was in flight is cut */
    kill9: async () => {
      proc.kill('SIGKILL')
      await exited()
    },
    /** start again on the same port and database */
    restart: up,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
      await exited()
    },
  }
}

/** A GraphQL call as a bearer token (the API, not the page). */
export async function api(base, query, variables = {}, token) {
  const resp = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  })
  const body = await resp.json()
  if (body.errors) throw new Error(JSON.stringify(body.errors))
  return body.data
}

export async function apiToken(base, username, password) {
  const data = await api(base, `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token errors { code } } }`, { u: username, p: password })
  if (!data.login.token) throw new Error(`login failed: ${JSON.stringify(data.login.errors)}`)
  return data.login.token
}
