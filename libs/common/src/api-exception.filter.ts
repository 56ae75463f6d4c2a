import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrorBody, ApiErrorCode, ApiException, ApiFieldError } from './api-error';
import { requestIdOf } from './request-id';
import { isDatabaseTimeout } from './database-timeout';
import { BodyError } from './json-body';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

const CODE_BY_STATUS: Record<number, ApiErrorCode> = {
  400: ApiErrorCode.ValidationFailed,
  401: ApiErrorCode.Unauthorized,
  403: ApiErrorCode.Forbidden,
  404: ApiErrorCode.NotFound,
  405: ApiErrorCode.MethodNotAllowed,
  409: ApiErrorCode.Conflict,
  413: ApiErrorCode.PayloadTooLarge,
  415: ApiErrorCode.UnsupportedMediaType,
  429: ApiErrorCode.TooManyRequests,
  503: ApiErrorCode.ServiceUnavailable,
};

/** Turns any error into the settings API's error shape: {status, code, message, requestId, errors?}. */
export function toApiError(e: unknown): {
  status: number;
  code: ApiErrorCode;
  message: string;
  errors?: ApiFieldError[];
} {
  if (e instanceof ApiException)
    return { status: e.status, code: e.code, message: e.message, errors: e.errors };
  if (isDatabaseTimeout(e)) {
    return {
      status: 503,
      code: ApiErrorCode.ServiceUnavailable,
      message: 'The request ran out of time; try again shortly',
    };
  }
  if (e instanceof BodyError) {
    const code =
      e.type === 'entity.parse.failed'
        ? ApiErrorCode.InvalidJson
        : (CODE_BY_STATUS[e.status] ?? ApiErrorCode.ValidationFailed);
    return { status: e.status, code, message: e.message };
  }
  if (e instanceof HttpException) {
    const status = e.getStatus();
    const code =
      CODE_BY_STATUS[status] ?? (status >= 500 ? ApiErrorCode.Internal : ApiErrorCode.ValidationFailed);
    const message = status === 404 && /^Cannot /.test(e.message) ? 'No such route' : e.message;
    return { status, code, message: status === 401 ? 'A valid bearer token is required' : message };
  }
  return { status: 500, code: ApiErrorCode.Internal, message: 'Internal server error' };
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendApiError(exception, ctx.getRequest<FastifyRequest>(), ctx.getResponse<FastifyReply>(), this.logger);
  }
}

export function sendApiError(
  exception: unknown,
  req: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
): void {
  const error = toApiError(exception);
  const requestId = requestIdOf(req);
  if (error.status >= 500) {
    logger.error({ err: exception, requestId }, 'Unhandled error');
  }
  if (reply.sent || reply.raw.headersSent) return;
  if (error.status === 401) reply.header('WWW-Authenticate', 'Bearer');
  if (error.status === 503 && !reply.hasHeader('Retry-After')) reply.header('Retry-After', '1');
  const body: ApiErrorBody = { status: error.status, code: error.code, message: error.message, requestId };
  if (error.errors) body.errors = error.errors;
  reply.code(error.status).type(JSON_CONTENT_TYPE).send(JSON.stringify(body));
}
