import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A service "inside the network" on 127.0.0.2 (loopback, so refused by the production policy,
 * and distinct from the allowlisted 127.0.0.1): it only counts TCP connections, the proof that
 * Gatehouse never reached it.
 */
export class ConnectionRecorder {
  connections = 0;

  private constructor(
    private readonly server: TcpServer,
    readonly port: number,
  ) {}

  static async start(): Promise<ConnectionRecorder> {
    let recorder: ConnectionRecorder | null = null;
    const server = createTcpServer((socket) => {
      if (recorder) recorder.connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
    recorder = new ConnectionRecorder(server, (server.address() as AddressInfo).port);
    return recorder;
  }

  url(path = '/'): string {
    return `http://127.0.0.2:${this.port}${path}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * An attacker's issuer on 127.0.0.1: each route answers what a test sets, and every request is
 * counted by path.
 */
export class StubIssuer {
  readonly hits = new Map<string, number>();
  private readonly routes = new Map<string, Route>();

  private constructor(
    private readonly server: Server,
    readonly base: string,
  ) {}

  static async start(): Promise<StubIssuer> {
    let stub: StubIssuer | null = null;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      stub?.hits.set(path, (stub.hits.get(path) ?? 0) + 1);
      const route = stub?.routes.get(path);
      if (route) route(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stub = new StubIssuer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return stub;
  }

  /** Serves a discovery document at `<issuer>/.well-known/openid-configuration`; answers the issuer. */
  discovery(prefix: string, endpoints: Record<string, string> = {}, padding = 0): string {
    const issuer = `${this.base}${prefix}`;
    const document = {
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      ...endpoints,
      ...(padding > 0 ? { padding: 'x'.repeat(padding) } : {}),
    };
    this.route(`${prefix}/.well-known/openid-configuration`, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
    });
    return issuer;
  }

  route(path: string, route: Route): void {
    this.routes.set(path, route);
  }

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
