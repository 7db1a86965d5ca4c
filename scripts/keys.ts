/**
 * The admin's API keys, straight on the store (no running API needed; the same settings
 * as the API: DATABASE_URL or RUNBOX_DATA_DIR). Every answer is JSON on stdout.
 *
 *   node scripts/keys.ts create --name NAME [--rate N] [--concurrent N] [--daily N]
 *                               [--max-time-ms N] [--max-cpu-ms N] [--max-memory-mb N]
 *                               [--max-processes N] [--max-output-kb N]
 *   node scripts/keys.ts list
 *   node scripts/keys.ts show ID
 *   node scripts/keys.ts revoke ID
 *   node scripts/keys.ts usage ID [--days N]
 *   node scripts/keys.ts rotate-callback-secret ID
 *
 * `create` prints the key (and its callback secret) once; only the key's hash is stored,
 * so it cannot be shown again. `rotate-callback-secret` prints a new callback secret; the
 * previous one signs beside it for RUNBOX_CALLBACK_SECRET_OVERLAP_SECONDS.
 * --rate is runs per minute, --daily runs per UTC day (both unlimited when left out),
 * --concurrent runs in flight at once (default 4); the --max-* flags cap what the key's
 * requests may ask for (default: the server's maxima).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../backend/dist/config.js';
import { createApiKey, keyUsage, MAX_USAGE_DAYS, rotateCallbackSecret } from '../backend/dist/keys/key-admin.js';
import { createLogger } from '../backend/dist/log.js';
import { apiKeyRequestSchema } from '../backend/dist/protocol.js';
import { ID_PATTERN } from '../backend/dist/store/ids.js';
import { openStore } from '../backend/dist/store/open-store.js';

/** Each request field's flag, to name the flag in an error. */
const FLAGS: Record<string, string> = {
  name: '--name',
  ratePerMinute: '--rate',
  maxConcurrent: '--concurrent',
  dailyRuns: '--daily',
  'caps.timeMs': '--max-time-ms',
  'caps.cpuTimeMs': '--max-cpu-ms',
  'caps.memoryMb': '--max-memory-mb',
  'caps.processes': '--max-processes',
  'caps.outputKb': '--max-output-kb',
};

function fail(message: string): never {
  console.error(`keys: ${message}`);
  process.exit(1);
}

const { positionals, values } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        rate: { type: 'string' },
        concurrent: { type: 'string' },
        daily: { type: 'string' },
        'max-time-ms': { type: 'string' },
        'max-cpu-ms': { type: 'string' },
        'max-memory-mb': { type: 'string' },
        'max-processes': { type: 'string' },
        'max-output-kb': { type: 'string' },
        days: { type: 'string' },
      },
    });
  } catch (err) {
    return fail((err as Error).message);
  }
})();
const [command, id] = positionals;
const number = (flag: string | undefined) => (flag === undefined ? undefined : Number(flag));

function keyRequest() {
  const caps = {
    timeMs: number(values['max-time-ms']),
    cpuTimeMs: number(values['max-cpu-ms']),
    memoryMb: number(values['max-memory-mb']),
    processes: number(values['max-processes']),
    outputKb: number(values['max-output-kb']),
  };
  const raw = {
    name: values.name,
    ratePerMinute: number(values.rate),
    maxConcurrent: number(values.concurrent),
    dailyRuns: number(values.daily),
    caps: Object.fromEntries(Object.entries(caps).filter(([, v]) => v !== undefined)),
  };
  const parsed = apiKeyRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    fail(`${FLAGS[field] ?? field} ${issue.code === 'invalid_type' && field === 'name' ? 'is required' : issue.message}`);
  }
  return parsed.data;
}

function needId(): string {
  if (!id || !ID_PATTERN.test(id)) fail(`${command} needs a key id (16 characters, as "list" shows)`);
  return id;
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

const config = loadConfig();
if (!['create', 'list', 'show', 'revoke', 'usage', 'rotate-callback-secret'].includes(command ?? '')) {
  fail('usage: node scripts/keys.ts create|list|show|revoke|usage|rotate-callback-secret (see the top of scripts/keys.ts)');
}
const request = command === 'create' ? keyRequest() : null;
const days = values.days === undefined ? 30 : Number(values.days);
if (!Number.isInteger(days) || days < 1 || days > MAX_USAGE_DAYS) fail(`--days must be a whole number from 1 to ${MAX_USAGE_DAYS}`);

const store = await openStore(config, createLogger('error'));
try {
  switch (command) {
    case 'create': {
      const created = await createApiKey(store.keys, request!);
      print(created);
      console.error('keys: the key and its callback secret are shown this once: only the key\'s hash is kept');
      break;
    }
    case 'list':
      print({ keys: await store.keys.listKeys() });
      break;
    case 'show': {
      const key = await store.keys.getKey(needId());
      if (!key) fail(`no API key has the id ${id}`);
      const { hash: _hash, ...info } = key;
      print(info);
      break;
    }
    case 'revoke': {
      const outcome = await store.keys.revokeKey(needId());
      if (outcome === 'unknown') fail(`no API key has the id ${id}`);
      print({ id, revoked: true, already: outcome === 'already' });
      break;
    }
    case 'rotate-callback-secret': {
      const rotated = await rotateCallbackSecret(store.keys, needId(), config.callbackSecretOverlapSeconds);
      if (!rotated) fail(`no API key has the id ${id}`);
      print(rotated);
      break;
    }
    case 'usage': {
      const usage = await keyUsage(store.keys, needId(), days);
      if (!usage) fail(`no API key has the id ${id}`);
      print(usage);
      break;
    }
  }
} finally {
  await store.close();
}
