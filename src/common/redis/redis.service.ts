import { Logger, type OnModuleDestroy, type Provider } from '@nestjs/common';
import type { Redis, RedisOptions } from 'ioredis';
import { AppConfig } from '../../config/app-config';

/**
 * The instance's Redis connections, when `REDIS_URL` is set. Redis is an accelerator and a
 * coordinator, never a dependency the service dies with: commands fail fast while it is down
 * (no offline queue), callers fall back to process memory, and the client reconnects by itself.
 *
 * Built by `redisProvider`, which loads ioredis only when there is a URL to connect to: a
 * single instance without Redis never pays for the client at start.
 */
export class RedisService implements OnModuleDestroy {
  private readonly logger = new Logger('Redis');
  private lastErrorLog = 0;

  constructor(
    readonly keyPrefix: string,
    /** Commands (counters, replay caches, publishing). */
    readonly client: Redis | null = null,
    /** A connection in subscriber mode may run no other command, so it is separate. */
    readonly subscriber: Redis | null = null,
  ) {
    for (const connection of [client, subscriber]) {
      connection?.on('error', (error: Error) => this.logError(error));
      connection?.on('ready', () => this.logger.log('Connected'));
    }
  }

  /** The connections for this configuration, none without `REDIS_URL`. */
  static async connect(config: AppConfig): Promise<RedisService> {
    const { url, keyPrefix } = config.redis;
    if (!url) return new RedisService(keyPrefix);
    const { Redis } = await import('ioredis');
    const options: RedisOptions = {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 1000,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
    };
    const client = new Redis(url, options);
    // The subscriber queues its SUBSCRIBE until connected and re-subscribes after reconnects.
    // No ready check: its INFO fails once a SUBSCRIBE issued while connecting has put the
    // connection in subscriber mode, and the subscription was then lost for good.
    const subscriber = new Redis(url, {
      ...options,
      enableOfflineQueue: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: null,
      commandTimeout: undefined,
    });
    return new RedisService(keyPrefix, client, subscriber);
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  /** True when commands can be sent right now. */
  isReady(): boolean {
    return this.client?.status === 'ready';
  }

  key(...parts: string[]): string {
    return `${this.keyPrefix}${parts.join(':')}`;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(
      [this.client, this.subscriber].map(async (connection) => {
        if (!connection) return;
        // QUIT waits for a server that answers; while Redis is down it would hang shutdown.
        if (connection.status !== 'ready') {
          connection.disconnect();
          return;
        }
        try {
          await connection.quit();
        } catch {
          connection.disconnect();
        }
      }),
    );
  }

  private logError(error: Error): void {
    // A Redis outage produces an error per reconnect attempt; one line every 10 s is enough.
    const now = Date.now();
    if (now - this.lastErrorLog < 10_000) return;
    this.lastErrorLog = now;
    this.logger.warn(`Redis unavailable (${error.message}); falling back to process memory`);
  }
}

export const redisProvider: Provider = {
  provide: RedisService,
  inject: [AppConfig],
  useFactory: (config: AppConfig) => RedisService.connect(config),
};
