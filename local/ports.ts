import { createServer, type Server } from 'node:net';

/** A port the local run needs is taken; the message names the port and the flag that moves it. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly flag: string,
    variable: string,
    what: string,
  ) {
    super(
      `Port ${port} (${what}) is already in use. Stop whatever listens there, or choose another port with ${flag} N ` +
        `(or ${variable}=N); ${flag} 0 picks any free port.`,
    );
    this.name = 'PortInUseError';
  }
}

/** Listens, turning EADDRINUSE into a PortInUseError. */
export function listenOn(
  server: Pick<Server, 'listen' | 'once' | 'off'>,
  port: number,
  host: string,
  flag: string,
  variable: string,
  what: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, flag, variable, what) : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Fails fast, before anything slow starts, when a fixed port is taken. Port 0 is always free.
 * (A process could still take the port before we bind it; the bind itself reports that too.)
 */
export async function ensurePortFree(
  port: number,
  host: string,
  flag: string,
  variable: string,
  what: string,
): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await listenOn(probe, port, host, flag, variable, what);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
