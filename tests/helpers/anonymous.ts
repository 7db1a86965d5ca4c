/**
 * Test servers let anonymous clients run without a quota unless a test sets one: the suite
 * fires many runs at once from one address (tests/api-keys.test.ts tests the quotas).
 */
export const UNLIMITED_ANONYMOUS = { RUNBOX_ANON_RUNS_PER_MINUTE: '0', RUNBOX_ANON_CONCURRENT_RUNS: '0', RUNBOX_ANON_RUNS_PER_DAY: '0' };
