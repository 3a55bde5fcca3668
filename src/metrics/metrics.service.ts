import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AuditService } from '../audit/audit.service';

export type LoginOutcome = 'success' | 'failure' | 'mfa_required' | 'locked';

/**
 * Prometheus metrics of one instance, on a registry of its own (several apps share a process in
 * tests). Counters are incremented by the modules that know the facts; gauges are read when
 * Prometheus scrapes.
 */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly logins = new Counter({
    name: 'gatehouse_logins_total',
    help: 'Password logins by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly tokensIssued = new Counter({
    name: 'gatehouse_tokens_issued_total',
    help: 'Access tokens issued, by grant (password, refresh, mfa, social, sso, authorization_code, client_credentials, refresh_token)',
    labelNames: ['grant'] as const,
    registers: [this.registry],
  });

  readonly rateLimitHits = new Counter({
    name: 'gatehouse_rate_limit_hits_total',
    help: 'Requests refused by a rate limit or a lockout, by limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  constructor(audit: AuditService) {
    new Gauge({
      name: 'gatehouse_audit_buffer_depth',
      help: 'Audit events recorded but not yet written to the database',
      registers: [this.registry],
      collect() {
        this.set(audit.pending);
      },
    });
    // Event-loop lag, process memory (RSS, heap), GC, handles: prom-client's defaults.
    collectDefaultMetrics({
      register: this.registry,
      prefix: '',
      eventLoopMonitoringPrecision: 20,
    });
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }
}
