import { ClsServiceManager } from 'nestjs-cls';
import * as winston from 'winston';
import type { AppConfig } from '../../config/app-config';
import { isSensitiveKey, REDACTED, redact } from './redact';

const RESERVED = new Set(['level', 'message', 'timestamp', 'context', 'requestId', 'stack']);

/** Adds the request id of the current async context (nestjs-cls) to every line. */
const requestIdFormat = winston.format((info) => {
  if (info.requestId === undefined) {
    const cls = ClsServiceManager.getClsService();
    const id = cls.isActive() ? cls.getId() : undefined;
    if (id !== undefined) info.requestId = id;
  }
  return info;
});

/** Last line of defence: metadata keys that look secret are blanked before formatting. */
const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (RESERVED.has(key)) continue;
    info[key] = isSensitiveKey(key) ? REDACTED : redact(info[key]);
  }
  return info;
});

/**
 * The one logger of an instance. Tests pass an extra transport to read what would be logged
 * (to prove no secret is).
 */
export function createWinstonLogger(
  config: AppConfig,
  extraTransports: winston.transport[] = [],
): winston.Logger {
  const format =
    config.log.format === 'json'
      ? winston.format.combine(
          requestIdFormat(),
          redactFormat(),
          winston.format.timestamp(),
          winston.format.errors({ stack: true }),
          winston.format.json(),
        )
      : winston.format.combine(
          requestIdFormat(),
          redactFormat(),
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          winston.format.errors({ stack: true }),
          winston.format.colorize(),
          winston.format.printf((info) => {
            const { timestamp, level, message, context, requestId, stack, ...rest } = info;
            const meta = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
            const ctx = typeof context === 'string' ? ` [${context}]` : '';
            const rid = typeof requestId === 'string' ? ` (${requestId})` : '';
            const trace = typeof stack === 'string' ? `\n${stack}` : '';
            return `${String(timestamp)} ${level}${ctx}${rid} ${String(message)}${meta}${trace}`;
          }),
        );
  return winston.createLogger({
    level: config.log.level,
    format,
    transports: [
      new winston.transports.Console({ stderrLevels: ['error', 'warn'] }),
      ...extraTransports,
    ],
  });
}
