/**
 * How the API process is started: `npm start`, the benchmark and the tests spawn it with
 * these (the image's CMD spells the same flag). Both keep the server's memory small and flat
 * over thousands of runs, where the defaults let it wander by tens of MB:
 * - V8's young generation grows to 3 x 16 MB semi-spaces by default; a run's garbage is a
 *   few hundred KB and short-lived, so 2 MB semi-spaces collect it as well, in less memory.
 * - glibc gives each thread that mallocs (libuv's pool, V8's workers) an arena of its own,
 *   and fragments them; two arenas are plenty for a server whose work is on one thread.
 *   (musl, in the image, has no arenas.)
 */
export const API_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

export const API_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
