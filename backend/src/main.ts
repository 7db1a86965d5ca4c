import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { startRunbox } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`runbox: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  // a log reader that goes away (a closed pipe, a restarted shipper) costs log lines, not
  // the server: dying here would leave every running program and pooled user behind
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const logger = createLogger(config.logLevel);
  // a promise nobody awaited must not take the server (and every run in it) down
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { error: String((reason as Error)?.message ?? reason) }));
  const runbox = await startRunbox(config, logger);

  let stopping = false;
  const stop = (signal: string) => {
    // a second signal (Ctrl+C reaches every process of the group, launchers forward it
    // again) must not cut the cleanup short
    if (stopping) return;
    stopping = true;
    // the helpers' pipes and the timers are unref'd, and a signal handler keeps nothing alive:
    // without this, the process ended as soon as the last run was gone, in the middle of the
    // cleanup (the lock, the state dir and "stopped" never came)
    setInterval(() => undefined, 60_000);
    logger.info('shutting down', { signal, ...runbox.runs.stats });
    runbox.shutdown().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: Error) => {
        logger.error('shutdown failed', { error: err.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  console.error(JSON.stringify({ level: 'error', message: 'runbox failed to start', error: err.message }));
  process.exit(1);
});
