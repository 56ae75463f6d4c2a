import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { sendApiError } from '@rollcall/common';
import { isScimRequest, sendScimError } from '@rollcall/scim';

/**
 * The last word on errors that no controller-level filter answered (unknown routes, bad JSON, oversized
 * bodies): SCIM paths get a SCIM Error, everything else the settings API's error shape.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    this.send(
      exception,
      host.switchToHttp().getRequest<Request>(),
      host.switchToHttp().getResponse<Response>(),
    );
  }

  send(exception: unknown, req: Request, res: Response): void {
    if (isScimRequest(req)) sendScimError(exception, req, res, this.logger);
    else sendApiError(exception, req, res, this.logger);
  }
}
