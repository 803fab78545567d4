// Sends the queue in order, in the background, like jxc-scan's sender (scanner_client/sender.py):
// a session is created on the server first (its local id as idempotency key, so a start whose answer
// was lost gets the same session again), then its consecutive scans go in one `scanBatch` (≤ 100);
// a batch the server fails as a whole is sent again scan by scan. No network or a 5xx: wait with
// exponential backoff and full jitter, then send the same ops with the same ids. A refused scan keeps
// the server's message and the queue goes on. An undo that was sent and never answered is not sent
// again (`undoLastScan` has no idempotency key): it is marked for the worker to check.
import { call, Refused, Unreachable } from './api'
import {
  CompleteScanSessionMutation,
  ScanBatchMutation,
  ScanOneMutation,
  StartScanSessionMutation,
  UndoLastScanMutation,
} from './operations'
import { allOps, getSession, putSession, updateOps, type Op, type Session } from './queue'

export interface SenderEvents {
  /** a scan (or undo / completion) answered by the server */
  answered(op: Op): void
  /** the queue changed (counts, statuses) */
  changed(): void
  /** reachability as last seen */
  online(reachable: boolean): void
}

const BATCH = 100
const BASE_MS = 500
const CAP_MS = 30_000

export function backoff(attempt: number): number {
  return Math.random() * Math.min(CAP_MS, BASE_MS * 2 ** attempt)
}

export class Sender {
  private running = false
  private wake: (() => void) | null = null
  private attempt = 0
  constructor(
    private events: SenderEvents,
    private gsSubstitute: () => string,
    private uncertainUndo: () => string,
  ) {}

  start(): void {
    if (this.running) return
    this.running = true
    void this.loop()
  }

  stop(): void {
    this.running = false
    this.kick()
  }

  /** Something was queued, or the network came back: send now. */
  kick(): void {
    this.attempt = 0
    this.wake?.()
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((ok) => {
      const t = setTimeout(() => ((this.wake = null), ok()), ms)
      this.wake = () => {
        clearTimeout(t)
        this.wake = null
        ok()
      }
    })
  }

  private async loop(): Promise<void> {
    // an undo that was in flight when the page went away: its fate is unknown
    const stale = (await allOps()).filter((o) => o.status === 'sending')
    for (const o of stale) Object.assign(o, { status: 'refused', errorCode: 'UNDO_UNCERTAIN', message: this.uncertainUndo() })
    if (stale.length) await updateOps(stale)
    while (this.running) {
      let outcome: 'idle' | 'progress'
      try {
        outcome = await this.step()
        this.attempt = 0
        this.events.online(true)
      } catch (e) {
        if (!(e instanceof Unreachable)) console.error(e)
        this.events.online(false)
        await this.sleep(backoff(this.attempt++))
        continue
      }
      if (outcome === 'idle') await this.sleep(60_000)
    }
  }

  /** Send the first thing queued; throws Unreachable when the server cannot be reached. */
  async step(): Promise<'idle' | 'progress'> {
    const queued = (await allOps()).filter((o) => o.status === 'queued')
    if (!queued.length) return 'idle'
    const first = queued[0]
    const session = await getSession(first.session)
    if (!session) {
      await this.settle([first], 'refused', 'NO_SESSION', '')
      return 'progress'
    }
    if (!(await this.ensureSession(session, queued))) return 'progress'
    if (first.kind === 'scan') {
      const chunk: Op[] = []
      for (const o of queued) {
        if (o.kind !== 'scan' || o.session !== first.session || chunk.length >= BATCH) break
        chunk.push(o)
      }
      await this.scans(session, chunk)
    } else if (first.kind === 'undo') await this.undo(session, first)
    else await this.complete(session, first)
    this.events.changed()
    return 'progress'
  }

  private async ensureSession(session: Session, queued: Op[]): Promise<boolean> {
    if (session.serverId) return true
    if (session.status === 'failed') {
      await this.settle(queued.filter((o) => o.session === session.id), 'refused', 'NO_SESSION', session.message)
      return false
    }
    let errors: { code: string; message: string }[]
    let sessionId: string | null | undefined
    try {
      const data = await call(StartScanSessionMutation, {
        mode: session.mode,
        documentNumber: session.document,
        locationCode: session.location,
        key: session.id,
      })
      ;({ sessionId, errors } = data.startScanSession)
    } catch (e) {
      if (!(e instanceof Refused)) throw e
      errors = [{ code: e.code, message: e.message }]
    }
    if (sessionId) {
      session.serverId = sessionId
      await putSession(session)
      this.events.changed()
      return true
    }
    session.status = 'failed'
    session.message = errors.map((e) => e.message).join('; ')
    await putSession(session)
    const mine = queued.filter((o) => o.session === session.id)
    await this.settle(mine, 'refused', errors[0]?.code ?? 'ERROR', session.message)
    this.events.changed()
    return false
  }

  private async settle(ops: Op[], status: Op['status'], code: string, message: string): Promise<void> {
    for (const o of ops) Object.assign(o, { status, errorCode: code, message })
    await updateOps(ops)
    for (const o of ops) this.events.answered(o)
  }

  private async scans(session: Session, chunk: Op[]): Promise<void> {
    const gs = this.gsSubstitute()
    try {
      const data = await call(ScanBatchMutation, {
        sessionId: session.serverId!,
        scans: chunk.map((o) => ({ code: o.code, scanId: o.scanId, quantity: o.quantity, lot: o.lot ?? null, expiryDate: o.expiryDate ?? null })),
        gs,
      })
      const { results, errors } = data.scanBatch
      if (errors.length) {
        await this.settle(chunk, 'refused', errors[0].code, errors.map((e) => e.message).join('; '))
        return
      }
      const byId = new Map(results.map((r) => [r.scanId, r]))
      for (const o of chunk) {
        const r = byId.get(o.scanId)
        if (r?.answer) Object.assign(o, { status: 'ok', message: r.answer.message, errorCode: '' })
        else Object.assign(o, { status: 'refused', errorCode: r?.errors[0]?.code ?? 'ERROR', message: r?.errors.map((e) => e.message).join('; ') ?? '' })
      }
      await updateOps(chunk)
      for (const o of chunk) this.events.answered(o)
    } catch (e) {
      if (!(e instanceof Refused)) throw e
      // the batch failed as a whole: one scan at a time, so one bad scan does not hold the others
      for (const o of chunk) {
        try {
          const { scan } = await call(ScanOneMutation, {
            sessionId: session.serverId!,
            code: o.code,
            scanId: o.scanId,
            quantity: o.quantity,
            lot: o.lot ?? null,
            expiryDate: o.expiryDate ?? null,
            gs,
          })
          if (scan.answer) await this.settle([o], 'ok', '', scan.answer.message)
          else await this.settle([o], 'refused', scan.errors[0]?.code ?? 'ERROR', scan.errors.map((x) => x.message).join('; '))
        } catch (one) {
          if (!(one instanceof Refused)) throw one
          await this.settle([o], 'refused', one.code, one.message)
        }
      }
    }
  }

  private async undo(session: Session, op: Op): Promise<void> {
    op.status = 'sending'
    await updateOps([op])
    try {
      const { undoLastScan } = await call(UndoLastScanMutation, { sessionId: session.serverId! })
      if (undoLastScan.answer) await this.settle([op], 'ok', '', undoLastScan.answer.message)
      else await this.settle([op], 'refused', undoLastScan.errors[0]?.code ?? 'ERROR', undoLastScan.errors.map((x) => x.message).join('; '))
    } catch (e) {
      if (e instanceof Refused) await this.settle([op], 'refused', e.code, e.message)
      else await this.settle([op], 'refused', 'UNDO_UNCERTAIN', this.uncertainUndo())
    }
  }

  private async complete(session: Session, op: Op): Promise<void> {
    try {
      const { completeScanSession: r } = await call(CompleteScanSessionMutation, { sessionId: session.serverId! })
      if (r.documentNumber) {
        session.status = 'completed'
        session.message = r.documentNumber
        await putSession(session)
        await this.settle([op], 'ok', '', r.documentNumber)
      } else await this.settle([op], 'refused', r.errors[0]?.code ?? 'ERROR', r.errors.map((x) => x.message).join('; '))
    } catch (e) {
      if (!(e instanceof Refused)) throw e
      await this.settle([op], 'refused', e.code, e.message)
    }
  }
}
