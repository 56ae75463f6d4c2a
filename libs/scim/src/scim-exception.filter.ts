import { type ArgumentsHost, Catch, type ExceptionFilter, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ScimEventsService, type ScimFailure } from '@rollcall/integrations';
import { type ScimError, sendScimError, toScimError } from './scim-error';
import { scimContextOf, type ScimHttpRequest, scimResourceOf } from './scim-request.decorator';

/** Every error of a SCIM controller becomes a SCIM Error body; failures of a known caller go to the activity log. */
@Injectable()
@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('SCIM');

  constructor(private readonly events: ScimEventsService) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    await this.handle(
      exception,
      host.switchToHttp().getRequest<ScimHttpRequest>(),
      host.switchToHttp().getResponse(),
    );
  }

  /** Records the failure (when the caller is known) and answers with the SCIM error. */
  async handle(exception: unknown, req: ScimHttpRequest, reply: FastifyReply): Promise<void> {
    const ctx = scimContextOf(req);
    if (ctx) await this.events.recordFailure(ctx, failureOf(exception, ctx.path, req.body));
    sendScimError(exception, req, reply, this.logger);
  }
}

/**
 * A failed request as the activity log keeps it: its SCIM error, and the user or group its path (below /scim/v2)
 * and its body name.
 */
export function failureOf(exception: unknown, path: string, body: unknown): ScimFailure & ScimError {
  return { ...toScimError(exception), ...scimResourceOf(path), resourceName: nameIn(body) };
}

/** The userName or displayName a failed request was about, when its body names one. */
function nameIn(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const name = b.userName ?? b.displayName;
  return typeof name === 'string' ? name : undefined;
}
