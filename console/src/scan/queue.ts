// The device's durable queue (IndexedDB): every scan, undo and completion is written here — the
// write committed — before the page acknowledges it; the sender (sender.ts) sends them in order.
// Each scan carries its client scan id from the moment it is queued, so a resend after a reload or
// a lost answer is the same scan to the server (its `scanId` idempotency). Sessions are created
// locally first: their local id is the `startScanSession` idempotency key.

export type Mode = 'RECEIVE' | 'PUTAWAY' | 'PICK' | 'TRANSFER' | 'COUNT'
export type OpKind = 'scan' | 'undo' | 'complete'
/** queued: to send; sending: an undo sent but not answered yet; ok / refused: the server's answer */
export type OpStatus = 'queued' | 'sending' | 'ok' | 'refused'

export interface Session {
  id: string // local id = idempotency key
  mode: Mode
  document: string
  location: string
  serverId: string | null
  status: 'open' | 'completed' | 'failed'
  message: string
  createdAt: number
}

export interface Op {
  seq?: number
  session: string
  kind: OpKind
  scanId: string
  code: string
  quantity: string | null
  /** typed by the worker where the label carries none (older queued scans lack them) */
  lot?: string | null
  expiryDate?: string | null
  status: OpStatus
  message: string
  errorCode: string
  at: number
}

const DB = 'jxc-scan'
let opened: Promise<IDBDatabase> | null = null

function db(): Promise<IDBDatabase> {
  opened ??= new Promise((ok, fail) => {
    const req = indexedDB.open(DB, 1)
    req.onupgradeneeded = () => {
      const d = req.result
      d.createObjectStore('sessions', { keyPath: 'id' })
      const ops = d.createObjectStore('ops', { keyPath: 'seq', autoIncrement: true })
      ops.createIndex('session', 'session')
    }
    req.onsuccess = () => ok(req.result)
    req.onerror = () => fail(req.error)
  })
  return opened
}

function done<T>(tx: IDBTransaction, value: () => T): Promise<T> {
  return new Promise((ok, fail) => {
    tx.oncomplete = () => ok(value())
    tx.onerror = () => fail(tx.error)
    tx.onabort = () => fail(tx.error)
  })
}

/** A random id; works in insecure contexts too (no crypto.randomUUID there). */
export function localId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export async function putSession(s: Session): Promise<void> {
  const tx = (await db()).transaction('sessions', 'readwrite', { durability: 'strict' })
  tx.objectStore('sessions').put(s)
  await done(tx, () => undefined)
}

export async function getSession(id: string): Promise<Session | undefined> {
  const tx = (await db()).transaction('sessions')
  const req = tx.objectStore('sessions').get(id)
  return done(tx, () => req.result as Session | undefined)
}

export async function sessions(): Promise<Session[]> {
  const tx = (await db()).transaction('sessions')
  const req = tx.objectStore('sessions').getAll()
  return done(tx, () => (req.result as Session[]).sort((a, b) => a.createdAt - b.createdAt))
}

export async function addOp(op: Omit<Op, 'seq'>): Promise<number> {
  const tx = (await db()).transaction('ops', 'readwrite', { durability: 'strict' })
  const req = tx.objectStore('ops').add(op)
  return done(tx, () => req.result as number)
}

export async function updateOps(ops: Op[]): Promise<void> {
  const tx = (await db()).transaction('ops', 'readwrite', { durability: 'strict' })
  for (const op of ops) tx.objectStore('ops').put(op)
  await done(tx, () => undefined)
}

/** Every op, in the order they were queued. */
export async function allOps(): Promise<Op[]> {
  const tx = (await db()).transaction('ops')
  const req = tx.objectStore('ops').getAll()
  return done(tx, () => req.result as Op[])
}

export async function opsOf(session: string): Promise<Op[]> {
  const tx = (await db()).transaction('ops')
  const req = tx.objectStore('ops').index('session').getAll(session)
  return done(tx, () => (req.result as Op[]).sort((a, b) => a.seq! - b.seq!))
}
