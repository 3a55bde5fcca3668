import { createServer } from 'node:net';

/**
 * A loopback port nothing listens on, so connections to it are refused. Port 1 is privileged
 * and unused; a port freed after `listen(0)` could be taken by another test worker before use.
 */
export const CLOSED_PORT = 1;

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const { port, release } = await reservePort();
  await release();
  return port;
}

export interface ReservedPort {
  port: number;
  /** Frees the port for its real owner: bind it right after, before anything else can. */
  release(): Promise<void>;
}

/**
 * Holds a free port of 127.0.0.1 until `release`. An app needs its port before it boots (its
 * issuer URL names it) but binds it only after; other workers bind ephemeral ports meanwhile
 * (supertest listens on one per request), so a merely "free" port could be taken in between.
 */
export function reservePort(): Promise<ReservedPort> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address !== 'object' || !address) return reject(new Error('no port'));
      resolve({
        port: address.port,
        release: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
