import type { HttpConfig } from '../config.types';
import { DEVELOPMENT_HOST } from '../development-mode';
import {
  EnvBool,
  EnvInt,
  EnvList,
  EnvOneOf,
  EnvString,
  EnvUrl,
  isExactOrigin,
} from '../env-decorators';

export const WEB_PROTOCOLS = ['http:', 'https:'] as const;
export type NodeEnv = 'development' | 'production' | 'test';

/** The mode of the instance, where it listens and the URLs it answers to. */
export class ServerVariables {
  @EnvOneOf(['development', 'production', 'test'])
  NODE_ENV: NodeEnv = 'development';

  @EnvInt(0, 65_535)
  PORT = 3000;

  /** Unset: loopback in development (a deviation of SPEC §4), every interface otherwise. */
  @EnvString()
  HOST?: string;

  /** Unset: /metrics is served on the public listener. */
  @EnvInt(1, 65_535)
  METRICS_PORT?: number;

  /** Unset: http://localhost:PORT. */
  @EnvUrl(WEB_PROTOCOLS, { baseUrl: true })
  PUBLIC_URL?: string;

  /** The base of mailed links; unset: PUBLIC_URL. */
  @EnvUrl(WEB_PROTOCOLS, { baseUrl: true })
  APP_URL?: string;

  @EnvBool()
  TRUST_PROXY = false;

  /** `*` passes here; production refuses it (production-rules.ts). */
  @EnvList({
    valid: (origin) => origin === '*' || isExactOrigin(origin),
    expected: 'must be an exact origin like https://app.example.com',
  })
  CORS_ORIGINS: string[] = [];

  @EnvList({ valid: (entry) => URL.canParse(entry), expected: 'must be an absolute URL' })
  APP_REDIRECT_ALLOWLIST: string[] = [];

  @EnvString()
  TLS_CERT_FILE?: string;

  @EnvString()
  TLS_KEY_FILE?: string;
}

/** The `http` section, with the rules between its variables. */
export function toHttpConfig(vars: ServerVariables, problems: string[]): HttpConfig {
  const { PORT: port, TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile } = vars;
  const metricsPort = vars.METRICS_PORT ?? null;
  if (metricsPort === port) problems.push('METRICS_PORT must differ from PORT');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  const publicUrl = vars.PUBLIC_URL ?? `http://localhost:${port === 0 ? 3000 : port}`;
  return {
    port,
    host: vars.HOST ?? (vars.NODE_ENV === 'development' ? DEVELOPMENT_HOST : '0.0.0.0'),
    metricsPort,
    publicUrl,
    appUrl: vars.APP_URL ?? publicUrl,
    trustProxy: vars.TRUST_PROXY,
    corsOrigins: vars.CORS_ORIGINS,
    tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : null,
    appRedirectAllowlist: vars.APP_REDIRECT_ALLOWLIST,
  };
}
