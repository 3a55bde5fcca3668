import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetricsService } from './metrics.service';

interface RouteSeries {
  count: { inc(): void };
  duration: { observe(value: number): void };
}

/**
 * Counts and times every request by its route template (`/v1/users/:id`, not the concrete path,
 * so ids do not explode the label space). Requests no route matched share one label. The
 * labelled series are looked up once per (method, route, status) and kept, so a request costs
 * a map lookup rather than prom-client's label hashing.
 */
export function httpTimer(
  metrics: MetricsService,
): (req: IncomingMessage, res: ServerResponse, routeOf: () => string) => void {
  const series = new Map<string, RouteSeries>();
  const seriesOf = (method: string, route: string, status: string): RouteSeries => {
    const key = `${method} ${status} ${route}`;
    let found = series.get(key);
    if (!found) {
      found = {
        count: metrics.httpRequests.labels(method, route, status),
        duration: metrics.httpDuration.labels(method, route, status),
      };
      series.set(key, found);
    }
    return found;
  };
  return (req, res, routeOf) => {
    const start = performance.now();
    res.once('finish', () => {
      const { count, duration } = seriesOf(req.method ?? '', routeOf(), String(res.statusCode));
      count.inc();
      duration.observe((performance.now() - start) / 1000);
    });
  };
}

/**
 * Times the requests Express serves, by the template of the route that matched (the OAuth
 * engine's, served ahead of Express, are timed as `/oidc` there).
 */
export function httpMetricsMiddleware(metrics: MetricsService) {
  const time = httpTimer(metrics);
  return (req: Request, res: Response, next: NextFunction): void => {
    time(req, res, () => {
      const routePath = (req.route as { path?: string } | undefined)?.path;
      return routePath ? `${req.baseUrl}${routePath}` : 'unmatched';
    });
    next();
  };
}
