import { BadRequestException, Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import {
  type AppConfig,
  createRootLogger,
  createValidationPipe,
  logRequests,
  Metrics,
  PinoNestLogger,
  requestIdFor,
  useJsonBodies,
} from '@rollcall/common';
import { SqlService } from '@rollcall/database';
import { usePortalStartForm } from '@rollcall/tokens';
import { isScimBulkRequest, isScimRequest, ScimExceptionFilter, ScimModule } from '@rollcall/scim';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { useMetrics } from './metrics';
import { usePortal } from './portal-static';
import { useLargeBodyGate, useSettingsApiAdmission } from './request-gates';
import { PORTAL_PATH, PORTAL_START_PATH, SCIM_SECURITY_HEADERS, securityHeaders } from './security-headers';

export interface CreateAppOptions {
  /** Keep Nest's own start-up lines quiet (tests). */
  quiet?: boolean;
  /** Where log lines go instead of stdout (tests that read them). */
  logStream?: DestinationStream;
  /** The built admin portal (default: `dist/portal` beside the compiled server). */
  portalDir?: string;
}

/** `dist/portal`, beside `dist/apps/api/src` where the compiled server runs (or under the working directory). */
function defaultPortalDir(): string {
  return typeof __dirname === 'string'
    ? join(__dirname, '..', '..', '..', 'portal')
    : join(process.cwd(), 'dist', 'portal');
}

/** Route parameters (a SCIM id, a filter in a path) are bounded by the URL, not by the router. */
const MAX_PARAM_LENGTH = 16 * 1024;

/** Builds the whole HTTP application; main.ts and the end-to-end tests share it. */
export async function createApp(
  config: AppConfig,
  databaseUrl: string,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const root = createRootLogger(config, options.logStream);
  const logger = new PinoNestLogger(root);
  const https = config.publicUrl.startsWith('https:');
  const headers = securityHeaders(https);
  /** What every answer carries, set first: its request id and the security headers of its kind (computed once). */
  const firstHeaders = (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('X-Request-Id', request.id);
    if (isScimRequest(request)) return void reply.headers(SCIM_SECURITY_HEADERS);
    const url = request.url;
    reply.headers(
      !PORTAL_PATH.test(url)
        ? headers.api
        : PORTAL_START_PATH.test(url)
          ? headers.portalStart
          : headers.portal,
    );
  };
  // The last-resort filter, set once the application exists (requests only arrive after that).
  const late: { errors?: AllExceptionsFilter } = {};
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestIdFor,
    // A URL the router cannot even decode (`%zz`) is answered before any hook, in the API's own error shape.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      firstHeaders(request, reply);
      void late.errors!.send(new BadRequestException(`The URL is not valid (${error.code})`), request, reply);
    },
    requestTimeout: config.timeouts.httpRequestMs,
    keepAliveTimeout: config.timeouts.httpKeepAliveMs,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, databaseUrl),
    adapter,
    { bodyParser: false, logger: options.quiet ? false : logger },
  );
  app.useLogger(options.quiet ? false : logger);
  const server: Server = app.getHttpServer();
  server.headersTimeout = config.timeouts.httpHeadersMs;
  const instance = adapter.getInstance();

  // First of all: the request id and the security headers, and one JSON log line per request once answered.
  instance.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    firstHeaders(request, reply);
    done();
  });
  logRequests(instance, root);
  if (config.metrics) useMetrics(instance, app.get(Metrics), app.get(SqlService));
  // Before any body is read: the token, the caller's limits, and what headers alone can refuse.
  const bodyLimits = { body: config.bodyLimitBytes, bulk: config.scimBulkMaxPayloadBytes };
  ScimModule.beforeBody(app, instance, bodyLimits);
  useSettingsApiAdmission(app, instance);
  useLargeBodyGate(instance, config);
  // /Bulk reads up to its own limit (a body sent without a length is cut there too); every other route has the
  // body limit. Routes are added when the application starts, after this hook.
  instance.addHook('onRoute', (route) => {
    if (isScimBulkRequest({ url: route.url })) route.bodyLimit = bodyLimits.bulk;
  });
  // JSON and SCIM JSON bodies, up to the configured limit (413 above it). Only admitted requests reach the
  // parser: the admission steps answer everything else first.
  useJsonBodies(instance, config.bodyLimitBytes, ScimModule.checkBody);
  // The one form a browser posts: the portal link's landing page (everywhere else a form is a 415).
  usePortalStartForm(instance);

  // Errors before a route's own filters (unknown routes, bodies refused while parsing) reach this one.
  late.errors = new AllExceptionsFilter(new NestLogger('HTTP'), app.get(ScimExceptionFilter));
  app.useGlobalFilters(late.errors);
  app.useGlobalPipes(createValidationPipe());

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Rollcall settings API')
      .setDescription(
        "Tenants (operator), admin tokens, groups and SCIM integrations (admin), the admin portal's links and " +
          'sessions. Errors share one shape: `{status, code, message, requestId, errors?}`. The SCIM 2.0 API ' +
          "itself lives under `/scim/v2`. Through the admin portal's session cookie (`rollcall_portal`, made " +
          'by opening a portal link), a POST, PUT, PATCH or DELETE must carry the header `X-CSRF-Token` (from ' +
          '`GET /api/v1/portal/session`), or it gets 403 `forbidden` and changes nothing.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ROLLCALL_OPERATOR_TOKEN' }, 'operator')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An admin token (rc_adm_…)' }, 'admin')
      .addCookieAuth(
        'rollcall_portal',
        {
          type: 'apiKey',
          in: 'cookie',
          description: 'An admin-portal session, from a portal link (`__Host-rollcall_portal` over https)',
        },
        'portal',
      )
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  await usePortal(app, options.portalDir ?? defaultPortalDir());
  return app;
}
