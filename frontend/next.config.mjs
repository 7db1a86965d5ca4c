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
};

export default nextConfig;
