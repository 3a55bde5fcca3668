import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RedisService } from '../redis/redis.service';

export type InvalidationTopic =
  'session' | 'user' | 'tenant' | 'api-key' | 'oauth-grant' | 'signing-key';
type Handler = (key: string) => void;

interface Message {
  origin: string;
  topic: InvalidationTopic;
  key: string;
}

/**
 * Tells every instance that a cached entry is stale. Caches on the request path (sessions,
 * permissions, tenants) live in process memory for a few seconds; a change published here
 * drops them at once, locally and, through Redis pub/sub, on the other instances. If a message
 * is lost (Redis down), the short TTL of those caches still bounds how stale they get.
 */
@Injectable()
export class InvalidationBus implements OnModuleInit {
  private readonly logger = new Logger('InvalidationBus');
  private readonly origin = randomUUID();
  private readonly handlers = new Map<InvalidationTopic, Handler[]>();
  private readonly channel: string;

  constructor(private readonly redis: RedisService) {
    this.channel = redis.key('invalidate');
  }

  onModuleInit(): void {
    const subscriber = this.redis.subscriber;
    if (!subscriber) return;
    subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      try {
        const message = JSON.parse(raw) as Message;
        if (message.origin !== this.origin) this.deliver(message.topic, message.key);
      } catch {
        this.logger.warn('Ignored a malformed invalidation message');
      }
    });
    // Subscribe on every (re)connection rather than once: a SUBSCRIBE in flight when the
    // connection drops (a slow boot can trip the connect timeout) is lost, and ioredis only
    // re-subscribes channels whose subscription had completed. Subscribing twice is harmless.
    const subscribe = () => {
      subscriber.subscribe(this.channel).catch((error: unknown) => {
        this.logger.warn(`Subscribe failed, will retry on reconnect: ${String(error)}`);
      });
    };
    subscriber.on('ready', subscribe);
    if (subscriber.status === 'ready') subscribe();
  }

  on(topic: InvalidationTopic, handler: Handler): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  /** Drops the entry here at once, and on the other instances as soon as Redis delivers. */
  publish(topic: InvalidationTopic, key: string): void {
    this.deliver(topic, key);
    const client = this.redis.client;
    if (!client || !this.redis.isReady()) return;
    const message: Message = { origin: this.origin, topic, key };
    client.publish(this.channel, JSON.stringify(message)).catch(() => {
      // Other instances fall back to their cache TTL.
    });
  }

  private deliver(topic: InvalidationTopic, key: string): void {
    for (const handler of this.handlers.get(topic) ?? []) handler(key);
  }
}
