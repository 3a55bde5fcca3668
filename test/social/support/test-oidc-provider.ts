import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

export interface IdpAccount {
  email?: string;
  emailVerified?: boolean;
  name?: string;
}

export interface IdpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

/**
 * A real OpenID provider (node-oidc-provider) on a free loopback port, playing Google or any
 * OIDC provider. Its interaction is a small one that needs no HTML form: when the browser
 * reaches it, the account named in `nextLogin` signs in (or the user cancels when
 * `cancelNext` is set), so a test drives the whole login by following redirects.
 */
export class TestOidcProvider {
  readonly accounts = new Map<string, IdpAccount>();
  /** The account id that signs in at the next interaction. */
  nextLogin = '';
  /** The next interaction ends with `access_denied`, as when the user clicks "Cancel". */
  cancelNext = false;
  /**
   * Serve a JWKS that does not hold the signing key (same `kid`, another key): every ID token
   * this provider issues then carries a signature its published keys do not verify.
   */
  foreignJwks: { keys: object[] } | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly issuer: string,
    private readonly server: Server,
    private provider: Provider | null = null,
    private foreign: { keys: object[] } | null = null,
  ) {}

  static async start(clients: IdpClient[]): Promise<TestOidcProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const idp = new TestOidcProvider(`http://127.0.0.1:${port}`, server);
    server.on('connection', (socket) => {
      idp.sockets.add(socket);
      socket.on('close', () => idp.sockets.delete(socket));
    });

    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { kid: 'test-idp-key', alg: 'RS256', use: 'sig' };
    const signingKey = { ...(await exportJWK(privateKey)), ...jwk };
    const other = await generateKeyPair('RS256', { extractable: true });
    const foreign = { keys: [{ ...(await exportJWK(other.publicKey)), ...jwk }] };
    const provider = new Provider(idp.issuer, {
      clients: clients.map((client) => ({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: client.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      jwks: { keys: [signingKey] },
      cookies: { keys: ['test-idp-cookie-key-0123456789'] },
      ttl: {
        AuthorizationCode: 60,
        AccessToken: 600,
        IdToken: 600,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      // Google puts email and email_verified in the ID token of the code flow; so does this one.
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      findAccount: (_ctx, id) => {
        const account = idp.accounts.get(id);
        if (!account) return undefined;
        return {
          accountId: id,
          claims: () => ({
            sub: id,
            ...(account.email !== undefined ? { email: account.email } : {}),
            ...(account.emailVerified !== undefined
              ? { email_verified: account.emailVerified }
              : {}),
            ...(account.name !== undefined ? { name: account.name } : {}),
          }),
        };
      },
      // A first-party client: consent is implied, as for "Sign in with Google" after the first time.
      loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
        const { client, session } = ctx.oidc;
        if (!client || !session?.accountId) return undefined;
        const grantId = session.grantIdFor(client.clientId);
        if (grantId) return ctx.oidc.provider.Grant.find(grantId);
        const grant = new ctx.oidc.provider.Grant({
          clientId: client.clientId,
          accountId: session.accountId,
        });
        grant.addOIDCScope('openid email profile');
        await grant.save();
        return grant;
      },
    });
    idp.provider = provider;
    idp.foreign = foreign;
    const handle = provider.callback();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/jwks' && idp.foreignJwks) {
        res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
        res.end(JSON.stringify(idp.foreignJwks));
        return;
      }
      if (req.url?.startsWith('/interaction/')) {
        void idp.interact(req, res);
        return;
      }
      void handle(req, res);
    });
    return idp;
  }

  /** From now on, publish keys that do not verify this provider's signatures. */
  forgeSignatures(): void {
    this.foreignJwks = this.foreign;
  }

  addAccount(id: string, account: IdpAccount): void {
    this.accounts.set(id, account);
    this.nextLogin = id;
  }

  private async interact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.provider) throw new Error('not started');
    try {
      const result = this.cancelNext
        ? { error: 'access_denied', error_description: 'The user cancelled' }
        : { login: { accountId: this.nextLogin } };
      this.cancelNext = false;
      await this.provider.interactionFinished(req, res, result, {
        mergeWithLastSubmission: false,
      });
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
