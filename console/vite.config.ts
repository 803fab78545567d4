import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import { fileURLToPath, URL } from 'node:url'

// jxc serves console/dist at / (server/web/console.py). `npm run dev` proxies the API to a running
// `jxc serve` on 127.0.0.1:8000.
const api = process.env.JXC_API ?? 'http://127.0.0.1:8000'

export default defineConfig({
  plugins: [
    vue(),
    // Element Plus components (and their CSS) are imported where used, so each route's chunk
    // carries only what it shows
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: 'src/components.d.ts' }),
  ],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: { target: 'es2022', chunkSizeWarningLimit: 800, reportCompressedSize: true },
  server: {
    proxy: {
      '/graphql': { target: api, ws: true, changeOrigin: false },
      '/auth': api,
      '/reports': api,
      '/finance/statements': api,
      '/labels': api,
      '/healthz': api,
    },
  },
})
