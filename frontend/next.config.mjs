import { createRequire } from 'node:module';

/**
 * The playground calls the API at NEXT_PUBLIC_RUNBOX_API (default: same origin, through
 * app/api/[...path]/route.ts, which forwards to RUNBOX_API_URL at run time). Deployed apart
 * from the API, set NEXT_PUBLIC_RUNBOX_API at build time and allow this origin on the API
 * (RUNBOX_CORS_ORIGINS).
 */

/**
 * Monaco's files are served under their version (scripts/copy-monaco.mjs puts them in
 * public/monaco/<version>/vs, components/CodeEditor.tsx loads them from there): what is at
 * such an address never changes, so browsers keep it a year without asking again.
 */
const monacoVersion = createRequire(import.meta.url)('monaco-editor/package.json').version;

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  env: { MONACO_VERSION: monacoVersion },
  async headers() {
    // this version's only: an address of another one (a newer page asking an older server) is
    // a 404 that must not be kept
    return [{ source: `/monaco/${monacoVersion}/vs/:path*`, headers: [{ key: 'Cache-Control', value: 'public, max-age=31536000, immutable' }] }];
  },
  // lib/ and backend/src/protocol.ts are also compiled by tsc as NodeNext ESM (tests), where
  // relative imports name the emitted .js file; webpack finds the .ts behind it
  webpack(config) {
    config.resolve.extensionAlias = { ...config.resolve.extensionAlias, '.js': ['.ts', '.tsx', '.js'] };
    return config;
  },
};

export default nextConfig;
