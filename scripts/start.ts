/**
 * `npm start`: the API and the playground on this machine.
 *   API:        http://$HOST:$PORT            (default 127.0.0.1:3000)
 *   playground: http://$HOST:$PLAYGROUND_PORT (default 127.0.0.1:3001), /api proxied to the API
 *               (live runs' WebSockets too: frontend/server.ts)
 * Either one exiting stops the other; SIGTERM/SIGINT stop both (the API cleans up first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { API_NODE_FLAGS, API_PROCESS_ENV } from '../backend/dist/api-process.js';

const host = process.env.HOST || '127.0.0.1';
const apiPort = process.env.PORT || '3000';
const playgroundPort = process.env.PLAYGROUND_PORT || '3001';
const apiUrl = `http://${host.includes(':') ? `[${host}]` : host}:${apiPort}`;

const children: ChildProcess[] = [
  spawn(process.execPath, [...API_NODE_FLAGS, 'backend/dist/main.js'], { stdio: 'inherit', env: { ...process.env, ...API_PROCESS_ENV, HOST: host, PORT: apiPort } }),
  spawn(process.execPath, ['frontend/server.ts', '-H', host, '-p', playgroundPort], {
    stdio: 'inherit',
    env: { ...process.env, RUNBOX_API_URL: process.env.RUNBOX_API_URL || apiUrl, NEXT_TELEMETRY_DISABLED: '1' },
  }),
];
console.log(JSON.stringify({ message: 'runbox starting', api: apiUrl, playground: `http://${host}:${playgroundPort}` }));

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill(signal);
};
for (const child of children) child.on('exit', (code) => {
  stop('SIGTERM');
  if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(code ?? 0);
});
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
