import { readFileSync } from 'node:fs';
import type { SecureVersion } from 'node:tls';
import type { AppConfig } from '../../config/app-config';
import { ConfigError } from '../../config/load-config';

export interface GatehouseHttpsOptions {
  cert: Buffer;
  key: Buffer;
  minVersion: SecureVersion;
}

/**
 * The TLS settings of the HTTP server when `TLS_CERT_FILE`/`TLS_KEY_FILE` are set, else
 * undefined (plain HTTP, behind a proxy that terminates TLS). TLS 1.3 only (SPEC §4): an older
 * client is refused during the handshake, before any HTTP is spoken. An unreadable file stops
 * the start with a configuration error, like any other bad setting.
 */
export function httpsOptionsFor(config: AppConfig): GatehouseHttpsOptions | undefined {
  const tls = config.http.tls;
  if (!tls) return undefined;
  const problems: string[] = [];
  const read = (name: string, path: string): Buffer | null => {
    try {
      return readFileSync(path);
    } catch (error) {
      problems.push(`${name} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return null;
    }
  };
  const cert = read('TLS_CERT_FILE', tls.certFile);
  const key = read('TLS_KEY_FILE', tls.keyFile);
  if (!cert || !key) throw new ConfigError(problems);
  return { cert, key, minVersion: 'TLSv1.3' };
}
