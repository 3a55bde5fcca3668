import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type ClientMetadata } from 'oidc-provider';

export interface AccountClaims {
  email?: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
}

/** How the IdP says the user authenticated at sign-in: `amr` (RFC 8176) and `acr` in the ID token. */
export interface AuthenticationContext {
  amr?: string[];
  acr?: string;
}

/**
 * A real OpenID provider (`oidc-provider`) on a free loopback port, standing in for an
 * enterprise IdP. Its clients are registered once the connections (and so their callback URLs)
 * exist; accounts are whatever the test puts in `accounts`. Consent is granted automatically.
 */
export class TestOidcIdp {
  readonly accounts = new Map<string, AccountClaims>();
  /** Accounts that sign in with this `amr`/`acr`; others get neither. */
  readonly authentication = new Map<string, AuthenticationContext>();
  /** When set, served at `/jwks` instead of the keys the IdP signs with (a forged ID token). */
  servedJwks: { keys: object[] } | null = null;
  private provider: Provider | null = null;
  private handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async start(): Promise<TestOidcIdp> {
    let idp: TestOidcIdp | null = null;
    const server = createServer((req, res) => {
      if (idp?.handler) idp.handler(req, res);
      else res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    idp = new TestOidcIdp(server, `http://127.0.0.1:${port}`);
    return idp;
  }

  async register(clients: ClientMetadata[]): Promise<void> {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'test-idp-key' };
    const provider = new Provider(this.issuer, {
      clients,
      jwks: { keys: [jwk] },
      cookies: { keys: ['test-idp-cookie-key-0123456789'] },
      // amr/acr in the openid scope: the ID token carries how the user authenticated.
      claims: {
        openid: ['sub', 'amr', 'acr'],
        email: ['email', 'email_verified'],
        profile: ['name', 'groups'],
      },
      features: { devInteractions: { enabled: true } },
      ttl: { Interaction: 600, Grant: 600, Session: 600, AccessToken: 600, IdToken: 600 },
      findAccount: (_ctx, id) => ({
        accountId: id,
        claims: () => ({ sub: id, ...this.accounts.get(id) }),
      }),
      loadExistingGrant: async (ctx) => {
        const grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client!.clientId,
          accountId: ctx.oidc.session!.accountId,
        });
        grant.addOIDCScope('openid email profile');
        await grant.save();
        return grant;
      },
    });
    this.provider = provider;
    const callback = provider.callback();
    this.handler = (req, res) => {
      if (req.method === 'GET' && req.url === '/jwks' && this.servedJwks) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(this.servedJwks));
        return;
      }
      // The dev login form's submission is finished here, as the dev interactions would, so
      // that the session (hence the ID token) carries the account's amr/acr.
      if (req.method === 'POST' && /^\/interaction\/[^/]+$/.test(req.url ?? '')) {
        void this.login(req, res);
        return;
      }
      void callback(req, res);
    };
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const accountId = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('login');
    if (!accountId || !this.provider) {
      res.writeHead(400).end('No login');
      return;
    }
    try {
      await this.provider.interactionFinished(
        req,
        res,
        { login: { accountId, ...this.authentication.get(accountId) } },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  }

  /**
   * Plays the user at the IdP: follows the authorization URL, signs in as `accountId` on the
   * dev login form, and answers the redirect back to the client (our callback URL).
   */
  async signIn(authorizationUrl: string, accountId: string): Promise<string> {
    const jar = new Map<string, string>();
    const send = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(url, {
        ...init,
        redirect: 'manual',
        headers: {
          ...(init.headers as Record<string, string>),
          cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
        },
      });
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair.indexOf('=');
        jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      await res.arrayBuffer();
      return res;
    };
    let res = await send(authorizationUrl);
    let location = new URL(res.headers.get('location') ?? '', this.issuer).href;
    if (!location.includes('/interaction/')) return location;
    res = await send(location, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ prompt: 'login', login: accountId, password: 'any' }).toString(),
    });
    location = new URL(res.headers.get('location') ?? '', this.issuer).href;
    for (let hops = 0; hops < 5 && location.startsWith(this.issuer); hops++) {
      res = await send(location);
      location = new URL(res.headers.get('location') ?? '', this.issuer).href;
    }
    return location;
  }

  /** The user cancels at the IdP: it answers `error=access_denied` to the callback. */
  async abort(authorizationUrl: string): Promise<string> {
    const first = await fetch(authorizationUrl, { redirect: 'manual' });
    const cookies = first.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    const interaction = new URL(first.headers.get('location') ?? '', this.issuer).href;
    let res = await fetch(`${interaction}/abort`, {
      redirect: 'manual',
      headers: { cookie: cookies },
    });
    let location = new URL(res.headers.get('location') ?? '', this.issuer).href;
    const more = res.headers.getSetCookie().map((line) => line.split(';')[0]);
    if (location.startsWith(this.issuer)) {
      res = await fetch(location, {
        redirect: 'manual',
        headers: { cookie: [cookies, ...more].join('; ') },
      });
      location = new URL(res.headers.get('location') ?? '', this.issuer).href;
    }
    return location;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
