/**
 * The playground calls the API at NEXT_PUBLIC_RUNBOX_API (default: same origin, through
 * app/api/[...path]/route.ts, which forwards to RUNBOX_API_URL at run time). Deployed apart
 * from the API, set NEXT_PUBLIC_RUNBOX_API at build time and allow this origin on the API
 * (RUNBOX_CORS_ORIGINS).
 */

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // lib/ and backend/src/protocol.ts are also compiled by tsc as NodeNext ESM (tests), where
  // relative imports name the emitted .js file; webpack finds the .ts behind it
  webpack(config) {
    config.resolve.extensionAlias = { ...config.resolve.extensionAlias, '.js': ['.ts', '.tsx', '.js'] };
    return config;
  },
};

export default nextConfig;
