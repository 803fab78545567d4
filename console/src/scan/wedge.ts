// Keyboard-wedge scanners type a code as a burst of keystrokes (a few ms apart) ended by a suffix
// (Enter by default); a person types far slower. Keys closer than `maxGapMs` form one burst; a burst
// of at least `minLength` characters ended by the suffix is a scan. The prefix, the suffix and the
// character the scanner sends instead of the GS1 group separator are the device's settings, kept in
// localStorage. The GS substitute is not applied here: the server reads it (`gsSubstitute`).

export interface WedgeSettings {
  prefix: string
  suffix: 'Enter' | 'Tab' | string
  gsSubstitute: string
  maxGapMs: number
  minLength: number
}

const KEY = 'jxc.scan.wedge'
export const DEFAULTS: WedgeSettings = { prefix: '', suffix: 'Enter', gsSubstitute: '', maxGapMs: 50, minLength: 3 }

export function loadSettings(): WedgeSettings {
  try {
    return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(KEY) ?? '{}') }
  } catch {
    return { ...DEFAULTS }
  }
}

export function saveSettings(s: WedgeSettings): void {
  localStorage.setItem(KEY, JSON.stringify(s))
}

export class WedgeReader {
  private buf = ''
  private last = -Infinity
  constructor(
    private settings: () => WedgeSettings,
    private onCode: (code: string) => void,
  ) {}

  /** Feed a keydown; returns true when the key was part of a scan (the caller prevents its default). */
  key(e: KeyboardEvent): boolean {
    const s = this.settings()
    const now = e.timeStamp
    if (now - this.last > s.maxGapMs) this.buf = ''
    this.last = now
    const isSuffix = s.suffix === 'Enter' || s.suffix === 'Tab' ? e.key === s.suffix : e.key === s.suffix
    if (isSuffix) {
      const burst = this.buf
      this.buf = ''
      if (burst.length < s.minLength) return false
      if (s.prefix && !burst.startsWith(s.prefix)) return false
      this.onCode(burst.slice(s.prefix.length))
      return true
    }
    if (e.ctrlKey && e.key === ']') {
      this.buf += '\x1d' // Ctrl+] is how a wedge types ASCII 29 (GS)
      return true
    }
    if (e.key.length !== 1 || e.ctrlKey || e.metaKey || e.altKey) return false
    this.buf += e.key
    return true
  }
}
