import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP_CONFIG, type AppConfig, Metrics } from '@rollcall/common';
import { SqlService } from '@rollcall/database';
import type { Caller } from '@rollcall/tokens';

/** The route label of a request no route matched (its URL is never a label: clients choose it). */
const UNMATCHED = 'unmatched';
/** The provider label of a request without a SCIM caller (settings API, operator, unauthenticated, health). */
const NO_PROVIDER = 'none';

/**
 * Measures every answered request (a Fastify `onResponse` hook, after the request log's): its route pattern,
 * method, status, SCIM provider and duration. And reads the database pool's gauges and waits. Only when
 * metrics are on (METRICS_PORT): otherwise nothing is measured per request.
 */
export function useMetrics(instance: FastifyInstance, metrics: Metrics, sql: SqlService): void {
  instance.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    // The admission step put the caller on the request: a SCIM token's carries its integration's provider.
    const caller = (request as FastifyRequest & { user?: Caller }).user;
    metrics.requestAnswered(
      request.routeOptions.url ?? UNMATCHED,
      request.method,
      reply.statusCode,
      caller?.kind === 'scim' ? caller.provider : NO_PROVIDER,
      reply.elapsedTime / 1000,
    );
    done();
  });
  metrics.observePool(() => sql.poolUsage());
  sql.observePoolWaits((seconds) => metrics.poolWaited(seconds));
}

/**
 * `GET /metrics` (Prometheus text) on a listener of its own, METRICS_HOST:METRICS_PORT: it shares nothing with
 * the API's port — no admission, no limits, no load balancer in front — and nothing else is served there.
 * Up with the application (from its bootstrap), down with it (after the requests in flight are answered); the
 * start log's `metrics` names where it listens.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server: Server | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  /** Where it listens; undefined while metrics are off (or not up yet). */
  address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const where = this.config.metrics;
    if (!where) return;
    this.metrics.collectProcessMetrics();
    const server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(where.port, where.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // A scraper keeps its connection open between scrapes.
    server.closeAllConnections();
    await closed;
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url?.split('?', 1)[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found: GET /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end();
      return;
    }
    this.metrics.text().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (e: unknown) => {
        this.logger.error({ err: e }, 'Could not collect the metrics');
        res
          .writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
          .end('Could not collect the metrics\n');
      },
    );
  }
}
