/// <reference types="vite/client" />
// Camera scanning. BarcodeDetector where the browser has one (Android Chrome, Safari 17+): the format
// it reports gives the symbology identifier only where it cannot be ambiguous (EAN/UPC). Elsewhere
// (Chromium on Linux, Firefox) zxing-wasm, loaded only now: its .wasm is one of our own hashed assets
// (served by jxc, never a CDN), and it reports the exact symbology identifier (`]C1`, `]d2`, `]Q3`…).
// Either way the page sends the code as read; the server tells what it is.
const AIM: Record<string, string> = { ean_13: ']E0', upc_a: ']E0', upc_e: ']E0', ean_8: ']E4' }

interface Detected {
  rawValue: string
  format: string
}
interface Detector {
  detect(source: HTMLVideoElement): Promise<Detected[]>
}
type Read = (video: HTMLVideoElement) => Promise<string[]>

export function cameraAvailable(): boolean {
  return !!navigator.mediaDevices?.getUserMedia
}

function nativeReader(): Read | null {
  if (!('BarcodeDetector' in window)) return null
  const Ctor = (window as unknown as { BarcodeDetector: new () => Detector }).BarcodeDetector
  const detector = new Ctor()
  return async (video) => (await detector.detect(video)).map((d) => (AIM[d.format] ?? '') + d.rawValue)
}

async function zxingReader(): Promise<Read> {
  const [{ prepareZXingModule, readBarcodes }, { default: wasmUrl }] = await Promise.all([
    import('zxing-wasm/reader'),
    import('zxing-wasm/reader/zxing_reader.wasm?url'),
  ])
  prepareZXingModule({
    overrides: { locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : prefix + path) },
  })
  const canvas = document.createElement('canvas')
  const g = canvas.getContext('2d', { willReadFrequently: true })!
  return async (video) => {
    if (!video.videoWidth) return []
    canvas.width = video.videoWidth
    canvas.height = video.videoHeight
    g.drawImage(video, 0, 0)
    const results = await readBarcodes(g.getImageData(0, 0, canvas.width, canvas.height), { tryHarder: true, maxNumberOfSymbols: 1 })
    return results.filter((r) => r.isValid).map((r) => (r.symbologyIdentifier ?? '') + r.text)
  }
}

export async function startCamera(video: HTMLVideoElement, onCode: (code: string) => void): Promise<() => void> {
  const read = nativeReader() ?? (await zxingReader())
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
  video.srcObject = stream
  await video.play()
  let stopped = false
  let lastCode = ''
  let lastAt = 0
  const tick = async () => {
    if (stopped) return
    try {
      for (const code of await read(video)) {
        const now = Date.now()
        if (code === lastCode && now - lastAt < 1500) continue // the same label still in view
        lastCode = code
        lastAt = now
        onCode(code)
      }
    } catch {
      /* a frame that could not be read */
    }
    setTimeout(tick, 200)
  }
  void tick()
  return () => {
    stopped = true
    stream.getTracks().forEach((t) => t.stop())
    video.srcObject = null
  }
}
