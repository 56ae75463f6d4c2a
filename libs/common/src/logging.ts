import type { LoggerService } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type Logger } from 'pino';
import { pinoHttp, type HttpLogger, type Options } from 'pino-http';
import type { AppConfig } from './config';
import { assignRequestId } from './request-id';

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.token',
  '*.adminToken',
  '*.password',
  'token',
  'adminToken',
  'password',
];

/** Drops token-like query parameters from a logged URL. */
function safeUrl(url: string | undefined): string | undefined {
  return url?.replace(/([?&](access_token|token)=)[^&]*/gi, '$1[Redacted]');
}

/** The request logger's options: one JSON line per request with its id, secrets redacted. */
export function loggerParams(config: AppConfig): { pinoHttp: Options } {
  return {
    pinoHttp: {
      level: config.logLevel,
      genReqId: (req: IncomingMessage, res: ServerResponse) => assignRequestId(req, res),
      redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
      serializers: {
        req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: safeUrl(req.url),
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/health' },
    },
  };
}

const destinations: ReturnType<typeof pino.destination>[] = [];

/**
 * The process's logger: JSON lines on stdout, written in batches (a line per request would otherwise be a
 * system call per request) and flushed on shutdown.
 */
export function createRootLogger(config: AppConfig): Logger {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  if (destinations.length === 0) {
    process.once('exit', () => destinations.forEach((d) => d.flushSync()));
    // A quiet server still shows what it logged within a second.
    setInterval(() => destinations.forEach((d) => d.flush()), 1000).unref();
  }
  destinations.push(destination);
  return pino(
    { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[Redacted]' } },
    destination,
  );
}

export function createHttpLogger(config: AppConfig, logger: Logger): HttpLogger {
  return pinoHttp({ ...loggerParams(config).pinoHttp, logger });
}

/**
 * Nest's LoggerService on pino. `logger.error({ err, requestId }, 'message')` logs the object's fields;
 * `logger.log('message', 'Context')` logs the message with its context.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    // Nest passes the context last; an error's stack may come before it.
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const args = context === undefined ? rest : rest.slice(0, -1);
    if (message !== null && typeof message === 'object' && !(message instanceof Error)) {
      const text = typeof args[0] === 'string' ? args[0] : undefined;
      this.logger[level]({ context, ...message }, text);
    } else if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else {
      const stack = typeof args[0] === 'string' && level === 'error' ? args[0] : undefined;
      this.logger[level](stack ? { context, stack } : { context }, String(message));
    }
  }
}
