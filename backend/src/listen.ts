import { createServer, type RequestListener, type Server } from 'node:http';
import net from 'node:net';

export class PortInUseError extends Error {}

/**
 * Fails now if the port cannot be bound, before start-up changes anything on the host.
 * Another process may still take the port before the real listen(); that one then fails
 * with the same message, only later.
 */
export async function checkPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return; // any free port: nothing to check
  const probe = net.createServer();
  await bind(probe, port, host);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/**
 * An HTTP server for `handler` on host:port. Not express's app.listen(): it calls its
 * callback with the error too, which then looked like a server without an address.
 */
export async function listen(handler: RequestListener, port: number, host: string): Promise<Server> {
  const server = createServer(handler);
  await bind(server, port, host);
  return server;
}

function bind(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new PortInUseError(`port ${port} is in use on ${host}`));
      else reject(err);
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}
