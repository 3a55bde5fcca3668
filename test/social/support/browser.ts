import type { TestApp } from '../../support/app';

export interface Hop {
  status: number;
  location: string | null;
  body: unknown;
}

/**
 * A browser without a screen: keeps cookies per origin and follows redirects one hop at a
 * time, sending requests for Gatehouse's PUBLIC_URL into the test app (supertest) and every
 * other URL over the network (the local provider). Enough to walk a login's 302 chain.
 */
export class Browser {
  private readonly jars = new Map<string, Map<string, string>>();

  constructor(
    /** The instance requests for PUBLIC_URL go to; swap it to play a load balancer. */
    public t: TestApp,
    private readonly publicUrl: string,
  ) {}

  cookies(url: string): Map<string, string> {
    const origin = new URL(url).origin;
    let jar = this.jars.get(origin);
    if (!jar) {
      jar = new Map();
      this.jars.set(origin, jar);
    }
    return jar;
  }

  /** One request, no redirect followed. */
  async get(url: string): Promise<Hop> {
    const target = new URL(url, this.publicUrl);
    const cookie = [...this.cookies(target.href)].map(([k, v]) => `${k}=${v}`).join('; ');
    if (target.origin === new URL(this.publicUrl).origin) {
      const request = this.t.http().get(`${target.pathname}${target.search}`);
      if (cookie) void request.set('Cookie', cookie);
      const res = await request;
      this.remember(
        target.href,
        (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [],
      );
      return {
        status: res.status,
        location: res.headers.location ?? null,
        body: res.body,
      };
    }
    const res = await fetch(target, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    this.remember(target.href, res.headers.getSetCookie());
    const location = res.headers.get('location');
    const text = await res.text();
    return {
      status: res.status,
      location: location ? new URL(location, target).href : null,
      body: text,
    };
  }

  /**
   * Follows redirects from `url` until one leaves for `stopAt` (the app's redirect URI) or a
   * non-redirect answer comes; answers the last hop and every URL visited.
   */
  async follow(
    url: string,
    stopAt: string,
    maxHops = 12,
  ): Promise<{ last: Hop; visited: string[] }> {
    const visited: string[] = [];
    let next = url;
    for (let hop = 0; hop < maxHops; hop++) {
      visited.push(next);
      const answer = await this.get(next);
      if (answer.status < 300 || answer.status >= 400 || !answer.location) {
        return { last: answer, visited };
      }
      if (answer.location.startsWith(stopAt)) {
        visited.push(answer.location);
        return { last: answer, visited };
      }
      next = answer.location;
    }
    throw new Error(`Too many redirects: ${visited.join(' -> ')}`);
  }

  private remember(url: string, setCookies: string[]): void {
    const jar = this.cookies(url);
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some((a) => /^\s*(?:max-age=0|expires=thu, 01 jan 1970)/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }
}
