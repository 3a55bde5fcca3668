import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

interface IssuedCode {
  user: GitHubUser;
  challenge: string;
  redirectUri: string;
}

/**
 * A small OAuth 2.0 server that plays GitHub: `/login/oauth/authorize` (signs in `nextUser`,
 * or answers `access_denied`), `/login/oauth/access_token` (checks the client secret, the
 * single-use code, its redirect URI and the PKCE S256 verifier), and the REST API's `/user`
 * and `/user/emails` under `/api`. `hang` makes every endpoint accept and never answer; `down`
 * makes them answer 503.
 */
export class GitHubStub {
  nextUser: GitHubUser | null = null;
  cancelNext = false;
  hang = false;
  /** Every endpoint answers 503, as in a GitHub outage. */
  down = false;
  private readonly codes = new Map<string, IssuedCode>();
  private readonly tokens = new Map<string, GitHubUser>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly clientId: string,
    private readonly clientSecret: string,
  ) {}

  get apiUrl(): string {
    return `${this.url}/api`;
  }

  static async start(clientId: string, clientSecret: string): Promise<GitHubStub> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const stub = new GitHubStub(server, `http://127.0.0.1:${port}`, clientId, clientSecret);
    server.on('connection', (socket) => {
      stub.sockets.add(socket);
      socket.on('close', () => stub.sockets.delete(socket));
    });
    server.on('request', (req, res) => void stub.handle(req, res));
    return stub;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.hang) return;
    if (this.down) return json(res, 503, { message: 'Service unavailable' });
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      this.authorize(url, res);
    } else if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      this.token(new URLSearchParams(await body(req)), res);
    } else if (req.method === 'GET' && url.pathname === '/api/user') {
      const user = this.userOf(req);
      if (!user) return json(res, 401, { message: 'Bad credentials' });
      json(res, 200, { id: user.id, login: user.login, name: user.name, email: null });
    } else if (req.method === 'GET' && url.pathname === '/api/user/emails') {
      const user = this.userOf(req);
      if (!user) return json(res, 401, { message: 'Bad credentials' });
      json(
        res,
        200,
        user.emails.map((entry) => ({ ...entry, visibility: entry.primary ? 'private' : null })),
      );
    } else {
      json(res, 404, { message: 'Not Found' });
    }
  }

  private authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri') ?? '';
    if (q.get('client_id') !== this.clientId || q.get('code_challenge_method') !== 'S256') {
      return json(res, 400, { message: 'bad authorization request' });
    }
    const back = new URL(redirectUri);
    back.searchParams.set('state', q.get('state') ?? '');
    if (this.cancelNext || !this.nextUser) {
      this.cancelNext = false;
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user has denied your application access.');
    } else {
      const code = randomBytes(10).toString('hex');
      this.codes.set(code, {
        user: this.nextUser,
        challenge: q.get('code_challenge') ?? '',
        redirectUri,
      });
      back.searchParams.set('code', code);
    }
    res.writeHead(302, { location: back.href }).end();
  }

  private token(form: URLSearchParams, res: ServerResponse): void {
    const code = form.get('code') ?? '';
    const issued = this.codes.get(code);
    this.codes.delete(code);
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (
      form.get('client_id') !== this.clientId ||
      form.get('client_secret') !== this.clientSecret ||
      !issued ||
      issued.redirectUri !== form.get('redirect_uri') ||
      issued.challenge !== challenge
    ) {
      // GitHub answers its token errors with 200 and an error body.
      return json(res, 200, { error: 'bad_verification_code' });
    }
    const accessToken = `gho_${randomBytes(16).toString('hex')}`;
    this.tokens.set(accessToken, issued.user);
    json(res, 200, {
      access_token: accessToken,
      token_type: 'bearer',
      scope: 'read:user,user:email',
    });
  }

  private userOf(req: IncomingMessage): GitHubUser | null {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    return match?.[1] ? (this.tokens.get(match[1]) ?? null) : null;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}
