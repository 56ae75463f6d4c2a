import { Logger as NestLogger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Server } from 'node:http';
import {
  type AppConfig,
  createHttpLogger,
  createRootLogger,
  createValidationPipe,
  nestsDeeperThan,
  PinoNestLogger,
} from '@rollcall/common';
import { ScimModule } from '@rollcall/scim';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { API_PATHS, useLargeBodyGate, useSettingsApiAdmission } from './request-gates';

/** No SCIM resource or settings-API body nests this deep. */
export const MAX_BODY_DEPTH = 32;

/** Refuses a body nested deeper than MAX_BODY_DEPTH from its raw bytes, before JSON.parse spends time on it. */
function refuseDeepNesting(_req: unknown, _res: unknown, buf: Buffer): void {
  if (nestsDeeperThan(buf, MAX_BODY_DEPTH)) {
    throw Object.assign(new Error(`The body nests deeper than ${MAX_BODY_DEPTH} levels`), {
      status: 400,
      type: 'entity.too.deep',
    });
  }
}

export interface CreateAppOptions {
  /** Keep Nest's own start-up lines quiet (tests). */
  quiet?: boolean;
}

/** Builds the whole HTTP application; main.ts and the end-to-end tests share it. */
export async function createApp(
  config: AppConfig,
  databaseUrl: string,
  options: CreateAppOptions = {},
): Promise<INestApplication> {
  const root = createRootLogger(config);
  const logger = new PinoNestLogger(root);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, databaseUrl), {
    bodyParser: false,
    logger: options.quiet ? false : logger,
  });
  app.useLogger(options.quiet ? false : logger);
  const server: Server = app.getHttpServer();
  server.headersTimeout = config.timeouts.httpHeadersMs;
  server.requestTimeout = config.timeouts.httpRequestMs;
  server.keepAliveTimeout = config.timeouts.httpKeepAliveMs;
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // SCIM resources carry their own ETag (the resource version); hashing every response body costs for nothing.
  app.set('etag', false);
  // First of all: the request id (X-Request-Id) and one JSON log line per request.
  app.use(createHttpLogger(config, root));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'script-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:'],
        },
      },
    }),
  );
  // Before any body is read: the token, the caller's limits, and what headers alone can refuse.
  ScimModule.beforeBody(app, config.bodyLimitBytes);
  useSettingsApiAdmission(app);
  useLargeBodyGate(app, config);
  // JSON and SCIM JSON bodies, up to the configured limit (413 above it), only where a caller was admitted:
  // no other route takes a body, and an unauthenticated client must not get one parsed.
  app.use(
    API_PATHS,
    json({
      limit: config.bodyLimitBytes,
      type: ['application/json', 'application/scim+json', 'application/*+json'],
      verify: refuseDeepNesting,
    }),
  );
  ScimModule.afterBody(app);
  const errors = new AllExceptionsFilter(new NestLogger('HTTP'));
  // Malformed JSON and oversized bodies fail before routing: answer them in the API's own error shapes.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => errors.send(err, req, res));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(errors);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Rollcall settings API')
      .setDescription(
        'Tenants (operator), admin tokens, groups and SCIM integrations (admin). Errors share one shape: ' +
          '`{status, code, message, requestId, errors?}`. The SCIM 2.0 API itself lives under `/scim/v2`.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ROLLCALL_OPERATOR_TOKEN' }, 'operator')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An admin token (rc_adm_…)' }, 'admin')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
