import { type ArgumentsHost, Catch, type ExceptionFilter, type Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendApiError } from '@rollcall/common';
import { isScimRequest, type ScimExceptionFilter } from '@rollcall/scim';

/**
 * The last word on errors that no controller-level filter answered (unknown routes, bad JSON, oversized
 * bodies): SCIM paths get a SCIM Error (in the integration's activity log when the caller is known),
 * everything else the settings API's error shape.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(
    private readonly logger: Logger,
    private readonly scim: ScimExceptionFilter,
  ) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    await this.send(
      exception,
      host.switchToHttp().getRequest<FastifyRequest>(),
      host.switchToHttp().getResponse<FastifyReply>(),
    );
  }

  async send(exception: unknown, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (isScimRequest(req)) await this.scim.handle(exception, req, reply);
    else sendApiError(exception, req, reply, this.logger);
  }
}
