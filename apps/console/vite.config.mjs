// Vite config of the console: `npm run console:build` → apps/console/dist (served by the gateway),
// `npm run console:dev` → a dev server on 5173 that sends /api to the gateway (GATEWAY_URL, default :3000).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  plugins: [react()],
  build: {
    outDir: process.env.CONSOLE_OUT_DIR || fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    port: Number(process.env.CONSOLE_DEV_PORT || 5173),
    strictPort: true,
    proxy: { '/api': { target: process.env.GATEWAY_URL || 'http://127.0.0.1:3000', changeOrigin: true } },
  },
});
