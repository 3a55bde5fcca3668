import type { NextFunction, Request, Response } from 'express';
import type { MetricsService } from './metrics.service';

/**
 * Counts and times every request by its route template (`/v1/users/:id`, not the concrete path,
 * so ids do not explode the label space). Requests no route matched share one label.
 */
export function httpMetricsMiddleware(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const routePath = (req.route as { path?: string } | undefined)?.path;
      const route = routePath
        ? `${req.baseUrl}${routePath}`
        : req.path.startsWith('/oidc')
          ? '/oidc'
          : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}
