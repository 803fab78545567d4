// What the worker hears and feels: one short high beep for a scan the server took, two low ones
// for a refusal (Web Audio; navigator.vibrate where there is one).
let ctx: AudioContext | null = null

function tone(freq: number, start: number, ms: number): void {
  if (!ctx) return
  const osc = ctx.createOscillator()
  const gain = ctx.createGain()
  osc.type = 'square'
  osc.frequency.value = freq
  gain.gain.value = 0.15
  osc.connect(gain).connect(ctx.destination)
  osc.start(ctx.currentTime + start)
  osc.stop(ctx.currentTime + start + ms / 1000)
}

/** Browsers start audio only after a gesture: call on the first tap or key. */
export function unlockAudio(): void {
  try {
    ctx ??= new AudioContext()
    if (ctx.state === 'suspended') void ctx.resume()
  } catch {
    ctx = null
  }
}

export function okFeedback(): void {
  tone(1760, 0, 90)
  navigator.vibrate?.(40)
}

export function refusedFeedback(): void {
  tone(220, 0, 180)
  tone(220, 0.25, 180)
  navigator.vibrate?.([200, 100, 200])
}
