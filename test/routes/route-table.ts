import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import {
  ACCESS_METADATA,
  type AccessRequirement,
} from '../../src/common/decorators/access.decorators';
// The one place the route table reads the rate-limit rules from.
import { ruleOf as engineRuleOf } from '../../src/rate-limit/engine-rate-limit';
import { RATE_LIMIT_ROUTE_METADATA } from '../../src/rate-limit/rate-limit.decorator';
import { ROUTE_RATE_LIMITS } from '../../src/rate-limit/rate-limit-routes';
import type { TestApp } from '../support/app';

const ROOT = join(__dirname, '..', '..');

export interface RouteRow {
  method: string;
  path: string;
  access: string;
  rateLimit: string;
  handler: string;
}

/** Where each controller class is declared: `src/**\/*.controller.ts`, by its class name. */
function controllerFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const src = join(ROOT, 'src');
  for (const entry of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.controller.ts')) continue;
    const text = readFileSync(join(src, entry), 'utf8');
    for (const match of text.matchAll(/^export class (\w+)/gm))
      files.set(match[1], relative(ROOT, join(src, entry)));
  }
  return files;
}

function paths(value: unknown): string[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value ?? ''];
  return list.map((path) =>
    String(path)
      .split('/')
      .filter((part) => part !== '')
      .join('/'),
  );
}

function join2(prefix: string, path: string): string {
  return `/${[prefix, path].filter((part) => part !== '').join('/')}`;
}

function describeAccess(access: AccessRequirement | undefined): string {
  if (!access) return '**none: refused**';
  if (access.kind === 'permission') return `\`${access.action} ${access.subject}\``;
  return access.kind;
}

/** Every route Nest's controllers serve, from the metadata their decorators leave. */
export function controllerRoutes(t: TestApp): RouteRow[] {
  // Over the app's own module graph; the app need not import DiscoveryModule for this.
  const discovery = new DiscoveryService(t.app.get(ModulesContainer));
  const scanner = new MetadataScanner();
  const reflector = t.app.get(Reflector);
  const files = controllerFiles();
  const rows: RouteRow[] = [];
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
    if (!controller || !wrapper.instance) continue;
    const file = files.get(controller.name);
    if (!file)
      throw new Error(`${controller.name} is not declared in a src/**/*.controller.ts file`);
    const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as (...args: unknown[]) => unknown;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      const targets = [handler, controller];
      const access = reflector.getAllAndOverride<AccessRequirement | undefined>(
        ACCESS_METADATA,
        targets,
      );
      const declared = reflector.getAllAndOverride<string | undefined>(
        RATE_LIMIT_ROUTE_METADATA,
        targets,
      );
      for (const prefix of paths(Reflect.getMetadata(PATH_METADATA, controller))) {
        for (const path of paths(Reflect.getMetadata(PATH_METADATA, handler))) {
          const full = join2(prefix, path);
          const verb = RequestMethod[method];
          rows.push({
            method: verb,
            path: full,
            access: describeAccess(access),
            rateLimit: declared ?? ROUTE_RATE_LIMITS[`${verb} ${full}`] ?? 'general',
            handler: `[${controller.name}.${name}](../${file})`,
          });
        }
      }
    }
  }
  return rows;
}

/** Method and path of every route Express's router holds, once each. */
export function expressRoutes(t: TestApp): string[] {
  const router = (
    t.app.getHttpAdapter().getInstance() as {
      router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
    }
  ).router;
  const routes = router.stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods).map(
          (method) => `${method.toUpperCase()} ${layer.route!.path}`,
        )
      : [],
  );
  // Route-scoped middleware (`forRoutes(Controller)`) registers the same method and path again.
  return [...new Set(routes)];
}

/**
 * Routes Express serves that no controller declares (the OpenAPI viewer and documents):
 * Nest's global guards never see them, so they are public and not rate limited.
 */
export function outsideControllers(t: TestApp, api: readonly RouteRow[]): RouteRow[] {
  const declared = new Set(api.map((row) => `${row.method} ${row.path}`));
  return expressRoutes(t)
    .filter((route) => !declared.has(route))
    .map((route) => {
      const [method, path] = route.split(' ', 2);
      return {
        method,
        path,
        access: 'public (no guard)',
        rateLimit: 'none',
        handler: 'Express (`SwaggerModule.setup` in src/configure-app.ts)',
      };
    });
}

/**
 * The OAuth engine's endpoints as its discovery document names them, with what oidc-provider
 * accepts on each and who may call it. A discovery entry missing here fails the table, so
 * enabling an engine feature shows up in review like any new route.
 */
const ENGINE_ENDPOINTS: Readonly<
  Record<string, readonly { methods: string; suffix?: string; access: string }[]>
> = {
  authorization_endpoint: [
    { methods: 'GET, POST', access: 'public (the user signs in on the interaction pages)' },
    { methods: 'GET', suffix: '/:uid', access: 'public (resumes an interaction)' },
  ],
  token_endpoint: [{ methods: 'POST', access: 'client authentication' }],
  introspection_endpoint: [{ methods: 'POST', access: 'client authentication' }],
  revocation_endpoint: [{ methods: 'POST', access: 'client authentication' }],
  userinfo_endpoint: [{ methods: 'GET, POST', access: 'access token' }],
  jwks_uri: [{ methods: 'GET', access: 'public' }],
  end_session_endpoint: [
    { methods: 'GET, POST', access: 'public (an ID token hint names the session)' },
    { methods: 'POST', suffix: '/confirm', access: 'public (the session cookie)' },
    { methods: 'GET', suffix: '/success', access: 'public' },
  ],
};

const NOT_ENDPOINTS = new Set(['issuer', 'service_documentation', 'op_policy_uri', 'op_tos_uri']);

export async function engineRoutes(t: TestApp): Promise<RouteRow[]> {
  const discoveryPath = '/oidc/.well-known/openid-configuration';
  const res = await t.http().get(discoveryPath);
  if (res.status !== 200) throw new Error(`${discoveryPath} answered ${res.status}`);
  const discovery = res.body as Record<string, unknown>;
  const issuer = new URL(String(discovery.issuer));
  const rows: RouteRow[] = [
    {
      method: 'GET',
      path: discoveryPath,
      access: 'public',
      rateLimit: engineRuleOf('/.well-known/openid-configuration') ?? 'none',
      handler: 'oidc-provider',
    },
  ];
  for (const [key, value] of Object.entries(discovery)) {
    if (typeof value !== 'string' || !/(?:_endpoint|_uri)$/.test(key) || NOT_ENDPOINTS.has(key))
      continue;
    const endpoints = ENGINE_ENDPOINTS[key];
    if (!endpoints)
      throw new Error(`The engine advertises ${key}: add it to ENGINE_ENDPOINTS in ${__filename}`);
    const path = new URL(value).pathname;
    const enginePath = path.slice(issuer.pathname.length);
    for (const endpoint of endpoints) {
      rows.push({
        method: endpoint.methods,
        path: `${path}${endpoint.suffix ?? ''}`,
        access: endpoint.access,
        rateLimit: engineRuleOf(`${enginePath}${endpoint.suffix ?? ''}`) ?? 'none',
        handler: 'oidc-provider',
      });
    }
  }
  return rows;
}

function table(rows: readonly RouteRow[]): string[] {
  // Code-unit order, not the locale's, so every machine writes the same file.
  const key = (row: RouteRow) => `${row.path} ${row.method}`;
  const sorted = [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return [
    '| Method | Path | Who may call | Rate limit | Handler |',
    '| --- | --- | --- | --- | --- |',
    ...sorted.map(
      (row) =>
        `| ${row.method} | \`${row.path}\` | ${row.access} | ${row.rateLimit} | ${row.handler} |`,
    ),
  ];
}

export function renderRouteTable(
  api: readonly RouteRow[],
  outside: readonly RouteRow[],
  engine: readonly RouteRow[],
): string {
  return [
    '# Routes',
    '',
    '<!-- Generated by `npm run routes` from the running app; do not edit by hand. -->',
    '',
    'Every route of the API, who may call it and the rate limit it falls under. The file is',
    "generated from the controllers' decorators and checked by `test/routes/routes.e2e-spec.ts`,",
    'so a change of access shows up in review as a diff of this table.',
    '',
    '- **Who may call**: `public` (no credentials), `authenticated` (any signed-in principal; the',
    '  service decides what it sees), or a permission `action Subject` that `@Can` requires',
    '  (the catalogue of subjects and actions: `GET /v1/permissions`).',
    '- **Rate limit**: a rule of `RATE_LIMITS.routes` (by `@RateLimit` or the credential-route',
    "  list), or `general`: per caller under the tenant plan's tier when authenticated, per client",
    '  IP (`anonymous`) otherwise. The numbers are configuration (`RATE_LIMITS`).',
    '',
    '## API',
    '',
    ...table(api),
    '',
    '## Outside the controllers',
    '',
    'Express routes that no controller declares, so no guard and no rate limit applies: the',
    'OpenAPI viewer and documents.',
    '',
    ...table(outside),
    '',
    '## OAuth 2.0 / OpenID Connect engine',
    '',
    'Served by oidc-provider under `/oidc`, ahead of Express, with a rate limiter of its own',
    '(`none`: not limited). Paths as its discovery document advertises them.',
    '',
    ...table(engine),
    '',
  ].join('\n');
}
