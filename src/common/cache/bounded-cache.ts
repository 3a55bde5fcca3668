import { LRUCache } from 'lru-cache';

/**
 * An LRU cache of at most `limit` entries whose memory grows with what it holds.
 *
 * lru-cache's `max` allocates and fills storage for every slot up front. With the dozen
 * caches of the request path sized for busy instances, that is memory and start-up time spent on
 * empty slots in every process, most of which never fill them. Bounding by `maxSize` at one unit
 * an entry keeps the same limit and allocates as entries arrive.
 */
export function boundedCache<
  K extends object | string,
  V extends object | string | number | boolean,
>(limit: number, options: { ttl?: number } = {}): LRUCache<K, V> {
  return new LRUCache<K, V>({ maxSize: limit, sizeCalculation: () => 1, ...options });
}
