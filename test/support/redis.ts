import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from './ports';
import { Redis } from 'ioredis';

/**
 * A redis-server of the test's own, on a free port, that the test may stop and start again:
 * tests that stop Redis or need two instances to share one must not disturb the Redis other
 * test files use. redis-server is installed wherever the suite runs (CI starts one), so these
 * tests run in every configuration.
 */
export class PrivateRedis {
  private process: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.process = child;
    const client = new Redis(this.port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          if (client.status !== 'ready') await client.connect();
          if ((await client.ping()) === 'PONG') return;
        } catch (error) {
          if (attempt >= 100 || child.exitCode !== null) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    } finally {
      client.disconnect();
    }
  }

  /** Kills the server at once, as a crash would. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** A client for the test's own checks; the caller disconnects it. */
  client(): Redis {
    const client = new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    // While the server is stopped on purpose, its reconnection errors are expected.
    client.on('error', () => undefined);
    return client;
  }
}

export interface TestRedis {
  url: string;
  /** Stops the server if this test started it; a shared one is left alone. */
  stop(): Promise<void>;
}

/** The run's Redis (REDIS_URL) when there is one; otherwise a private one for this test. */
export async function testRedis(): Promise<TestRedis> {
  const shared = process.env.REDIS_URL?.trim();
  if (shared) return { url: shared, stop: () => Promise.resolve() };
  return PrivateRedis.start();
}
