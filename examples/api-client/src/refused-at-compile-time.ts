// Type-checked, never run: every marked line must be a compile error. Should the generated types
// loosen (to `any`, or lose a route or a field), `tsc` fails on the unused directive instead of the
// consumer compiling against a contract that no longer says anything.
import type { GatehouseClient, Schemas } from './gatehouse-client.js';

export function refusedAtCompileTime(api: GatehouseClient, project: Schemas['ProjectDto']): void {
  // @ts-expect-error: a route the document does not have
  void api.GET('/v1/projekts');
  // @ts-expect-error: `name` is required to create a project
  void api.POST('/v1/projects', { body: { description: 'nameless' } });
  // @ts-expect-error: `limit` is a number
  void api.GET('/v1/audit-events', { params: { query: { limit: 'all' } } });
  // @ts-expect-error: a project has no `title`
  void project.title;
  // @ts-expect-error: an audit event's outcome is `success` or `failure`
  void ('maybe' satisfies Schemas['AuditEventDto']['outcome']);
}
