// The admin portal's production build (`npm run build:portal`, part of `npm run build` and `npm start`):
// apps/portal → dist/portal, which the API serves under /portal. Paths are relative to the repository root,
// where npm runs its scripts.
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'apps/portal',
  base: '/portal/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../../dist/portal',
    emptyOutDir: true,
    // No inline scripts, styles or data: URLs: the page runs under the API's Content-Security-Policy.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
