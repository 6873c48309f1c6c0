/**
 * Structured logs (pino). Request logs carry a request id; credentials are never passed to
 * the logger, and the redact list catches headers should anyone log a request object.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'cliproxy' },
    redact: {
      paths: ['headers.authorization', 'headers["x-api-key"]', 'headers["x-goog-api-key"]', 'headers["x-management-key"]', '*.secret', '*.api_key'],
      censor: '[redacted]',
    },
  });
}
