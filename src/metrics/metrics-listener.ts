import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { AppConfig } from '../config/app-config';

/**
 * Paths served on the internal listener instead of the public one. `MANAGEMENT_PORT` (SPEC §14)
 * is this listener with `/health` and `/docs` added here and the setting renamed.
 */
const INTERNAL_PATHS = ['/metrics'];

function isInternalPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?', 1)[0];
  return INTERNAL_PATHS.includes(path);
}

/**
 * With `METRICS_PORT`, a second listener on HOST:METRICS_PORT for Prometheus on the internal
 * network (F20: the counters tell login outcomes to anyone on the public edge). It hands its
 * requests to the same Express pipeline, so they are served, timed and logged as before; the
 * handler itself refuses requests that arrived on the public listener (`arrivedInternally`).
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private readonly internal = new WeakSet<IncomingMessage>();
  private server: Server | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** True when /metrics lives on its own port and must not answer on the public one. */
  get separate(): boolean {
    return this.config.http.metricsPort !== null;
  }

  arrivedInternally(req: IncomingMessage): boolean {
    return this.internal.has(req);
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.http.metricsPort;
    if (port === null) return;
    const express = this.adapterHost.httpAdapter.getInstance<RequestListener>();
    const server = createServer((req, res) => {
      if (!isInternalPath(req.url)) {
        res.writeHead(404, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
        res.end('Not found\n');
        return;
      }
      this.internal.add(req);
      express(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.http.host, () => resolve());
    });
    this.server = server;
    this.logger.log(`Metrics on http://${this.config.http.host}:${port}/metrics only`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Prometheus keeps connections alive; a scrape in flight has had its chance.
      server.closeAllConnections();
    });
  }
}
