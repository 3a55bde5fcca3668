import type { LogConfig } from '../config.types';
import { EnvOneOf } from '../env-decorators';
import type { NodeEnv } from './server.section';

type LogLevel = LogConfig['level'];
type LogFormat = LogConfig['format'];

export class LogVariables {
  @EnvOneOf(['error', 'warn', 'info', 'debug'] satisfies LogLevel[])
  LOG_LEVEL: LogLevel = 'info';

  /** Unset: pretty in development, JSON lines otherwise. */
  @EnvOneOf(['json', 'pretty'] satisfies LogFormat[])
  LOG_FORMAT?: LogFormat;
}

export function toLogConfig(vars: LogVariables, nodeEnv: NodeEnv): LogConfig {
  return {
    level: vars.LOG_LEVEL,
    format: vars.LOG_FORMAT ?? (nodeEnv === 'development' ? 'pretty' : 'json'),
  };
}
