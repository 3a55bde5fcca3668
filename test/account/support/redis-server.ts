import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../../support/ports';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  /** Stops the server if this test started it; a shared one is left alone. */
  stop(): Promise<void>;
}

async function ping(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * The run's Redis (REDIS_URL) when there is one; otherwise a private `redis-server` on a free
 * loopback port, without persistence, started for this test and stopped after it.
 */
export async function testRedis(): Promise<TestRedis> {
  const shared = process.env.REDIS_URL?.trim();
  if (shared) return { url: shared, stop: () => Promise.resolve() };

  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | null = null;
  child.once('error', (error) => {
    spawnError = error;
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (spawnError) throw new Error(`redis-server could not start: ${String(spawnError)}`);
    if (await ping(url)) {
      return {
        url,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not answer within 5 s');
}
