import { expect } from 'vitest';
import { DataSource } from 'typeorm';
import { Role } from '../../src/roles/entities/role.entity';
import { bearer, login, register, STRONG_PASSWORD, uniqueEmail } from '../factories';
import type { TestApp } from '../support/app';

export interface CreatedClient {
  id: string;
  clientId: string;
  clientSecret?: string;
  [field: string]: unknown;
}

/** A user of the tenant with its built-in `admin` role, and a fresh token carrying it. */
export async function tenantAdmin(
  t: TestApp,
  tenant: { id: string; slug: string },
): Promise<{ userId: string; email: string; accessToken: string }> {
  return userWithRole(t, tenant, 'admin');
}

/** A user of the tenant with its built-in `owner` role (owner-level client settings). */
export async function tenantOwner(
  t: TestApp,
  tenant: { id: string; slug: string },
): Promise<{ userId: string; email: string; accessToken: string }> {
  return userWithRole(t, tenant, 'owner');
}

async function userWithRole(
  t: TestApp,
  tenant: { id: string; slug: string },
  roleName: 'admin' | 'owner',
): Promise<{ userId: string; email: string; accessToken: string }> {
  const email = uniqueEmail(roleName);
  const { user } = await register(t, tenant.slug, email);
  const dataSource = t.app.get(DataSource);
  const role = await dataSource
    .getRepository(Role)
    .findOneOrFail({ where: { tenantId: tenant.id, name: roleName } });
  await dataSource
    .createQueryBuilder()
    .insert()
    .into('user_roles')
    .values({ user_id: user.id, role_id: role.id })
    .execute();
  const { accessToken } = await login(t, tenant.slug, email);
  return { userId: user.id, email, accessToken };
}

export async function createClient(
  t: TestApp,
  accessToken: string,
  body: Record<string, unknown>,
): Promise<CreatedClient> {
  const res = await t.http().post('/v1/oauth/clients').set(bearer(accessToken)).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as CreatedClient;
}

/** A minimal cookie jar: enough for the provider's path-scoped, httpOnly cookies. */
export class CookieJar {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const pathAttribute = attributes
        .map((attribute) => attribute.trim())
        .find((attribute) => attribute.toLowerCase().startsWith('path='));
      const path = pathAttribute ? pathAttribute.slice(5) : '/';
      const expired = attributes.some((attribute) =>
        /^expires=thu, 01 jan 1970/i.test(attribute.trim()),
      );
      const key = `${name} ${path}`;
      if (expired || value === '') this.cookies.delete(key);
      else this.cookies.set(key, { value, path });
    }
  }

  header(url: URL): string {
    return [...this.cookies.entries()]
      .filter(([, cookie]) => url.pathname.startsWith(cookie.path))
      .map(([key, cookie]) => `${key.split(' ')[0]}=${cookie.value}`)
      .join('; ');
  }
}

/** One request of a browser that follows no redirect by itself. */
export async function browserFetch(
  jar: CookieJar,
  url: string | URL,
  init: { method?: string; form?: Record<string, string> } = {},
): Promise<Response> {
  const target = new URL(url);
  const headers: Record<string, string> = { accept: 'text/html' };
  const cookie = jar.header(target);
  if (cookie) headers.cookie = cookie;
  let body: string | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers.origin = target.origin;
    body = new URLSearchParams(init.form).toString();
  }
  const response = await fetch(target, {
    method: init.method ?? (init.form ? 'POST' : 'GET'),
    headers,
    body,
    redirect: 'manual',
  });
  jar.store(response);
  return response;
}

export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match?.[1]) throw new Error(`no ${name} field in the page`);
  return match[1];
}

/**
 * Drives an authorization request the way a browser would, through the real login (and, if
 * asked, consent) pages, and answers the URL the server finally redirects to.
 */
export async function authorizeInBrowser(
  authorizationUrl: URL,
  credentials: { email: string; password?: string; mfaCode?: () => Promise<string> },
  options: { jar?: CookieJar; consent?: 'allow' | 'deny' } = {},
): Promise<{ location: URL; jar: CookieJar; pages: string[] }> {
  const jar = options.jar ?? new CookieJar();
  const pages: string[] = [];
  let url: URL = authorizationUrl;
  for (let step = 0; step < 12; step++) {
    const response = await browserFetch(jar, url);
    if (response.status === 303 || response.status === 302) {
      const next = new URL(response.headers.get('location') ?? '', url);
      if (next.origin !== authorizationUrl.origin || !next.pathname.startsWith('/oidc')) {
        return { location: next, jar, pages };
      }
      url = next;
      continue;
    }
    const html = await response.text();
    pages.push(html);
    if (response.status !== 200) throw new Error(`unexpected ${response.status}: ${html}`);
    const csrf = hiddenField(html, 'csrf');
    const uid = /\/oidc\/interaction\/([^/"]+)\//.exec(html)?.[1];
    if (!uid) throw new Error('no interaction in the page');
    let posted: Response;
    if (html.includes('name="password"')) {
      posted = await browserFetch(jar, new URL(`/oidc/interaction/${uid}/login`, url), {
        form: {
          csrf,
          email: credentials.email,
          password: credentials.password ?? STRONG_PASSWORD,
          ...(credentials.mfaCode ? { mfaCode: await credentials.mfaCode() } : {}),
        },
      });
    } else {
      const action = options.consent === 'deny' ? 'abort' : 'consent';
      posted = await browserFetch(jar, new URL(`/oidc/interaction/${uid}/${action}`, url), {
        form: { csrf },
      });
    }
    if (posted.status !== 303) {
      throw new Error(`form answered ${posted.status}: ${await posted.text()}`);
    }
    url = new URL(posted.headers.get('location') ?? '', url);
    if (url.origin !== authorizationUrl.origin || !url.pathname.startsWith('/oidc')) {
      return { location: url, jar, pages };
    }
  }
  throw new Error('too many steps');
}

/** The claims of a JWT, unverified (tests look inside tokens they already trust). */
export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >,
    payload: JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >,
  };
}
