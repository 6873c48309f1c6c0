/**
 * The one way request parsers reject a body: a 400 `invalid_request` that names the
 * offending field, both in the message and as `param`.
 */
import { GatewayError } from '../../errors.ts';

export function invalidRequest(param: string, message: string): GatewayError {
  return new GatewayError(400, 'invalid_request', `${param}: ${message}`, { param });
}
