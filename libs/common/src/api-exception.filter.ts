import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiErrorBody, ApiErrorCode, ApiException, ApiFieldError } from './api-error';
import { requestIdOf } from './request-id';
import { isDatabaseTimeout } from './database-timeout';

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

/** A body-parser failure: malformed JSON, a body over the limit, an unsupported charset or encoding. */
interface BodyParserError {
  type: string;
  status: number;
  message: string;
}

export function isBodyParserError(e: unknown): e is BodyParserError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as BodyParserError).type === 'string' &&
    typeof (e as BodyParserError).status === 'number' &&
    /^(entity|charset|encoding)\./.test((e as BodyParserError).type)
  );
}

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
  if (isBodyParserError(e)) {
    if (e.type === 'entity.parse.failed')
      return { status: 400, code: ApiErrorCode.InvalidJson, message: 'The request body is not valid JSON' };
    if (e.type === 'entity.too.deep')
      return { status: 400, code: ApiErrorCode.ValidationFailed, message: e.message };
    if (e.type === 'entity.too.large')
      return { status: 413, code: ApiErrorCode.PayloadTooLarge, message: 'The request body is too large' };
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
      return { status: 415, code: ApiErrorCode.UnsupportedMediaType, message: 'Unsupported body encoding' };
    return {
      status: 400,
      code: ApiErrorCode.ValidationFailed,
      message: 'The request body could not be read',
    };
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
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    sendApiError(exception, req, res, this.logger);
  }
}

export function sendApiError(exception: unknown, req: Request, res: Response, logger: Logger): void {
  const error = toApiError(exception);
  const requestId = requestIdOf(req);
  if (error.status >= 500) {
    logger.error({ err: exception, requestId }, 'Unhandled error');
  }
  if (res.headersSent) return;
  if (error.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  if (error.status === 503 && !res.hasHeader('Retry-After')) res.setHeader('Retry-After', '1');
  const body: ApiErrorBody = { status: error.status, code: error.code, message: error.message, requestId };
  if (error.errors) body.errors = error.errors;
  res.status(error.status).json(body);
}
