import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import Transport from 'winston-transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWinstonLogger } from '../../src/common/logging/logger.factory';
import { ConfigError } from '../../src/config/load-config';
import { type RunningServer, startServer } from '../../src/server';
import { createTestDatabase } from '../support/database';

class MemoryTransport extends Transport {
  readonly lines: string[] = [];
  override log(info: unknown, next: () => void): void {
    this.lines.push(JSON.stringify(info));
    next();
  }
}

interface Started {
  server: RunningServer;
  port: number;
  logs: string[];
  close(): Promise<void>;
}

/** Starts the real server (`startServer`, what main.ts runs) on a free loopback port. */
async function start(env: Record<string, string>): Promise<Started> {
  const database = await createTestDatabase();
  const memory = new MemoryTransport();
  const server = await startServer(
    {
      NODE_ENV: 'test',
      LOG_FORMAT: 'json',
      HOST: '127.0.0.1',
      PORT: '0',
      KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789abcdef',
      BOOTSTRAP_ADMIN_EMAIL: 'admin@gatehouse.test',
      BOOTSTRAP_ADMIN_PASSWORD: 'platform admin passphrase',
      RATE_LIMITS: 'off',
      ...database.env,
      ...env,
    },
    {
      createLogger: (config) => {
        const logger = createWinstonLogger(config, [memory]);
        for (const transport of logger.transports) {
          if (transport !== memory) transport.silent = process.env.TEST_LOGS !== '1';
        }
        return logger;
      },
    },
  );
  const port = (server.app.getHttpServer().address() as AddressInfo).port;
  return {
    server,
    port,
    logs: memory.lines,
    close: async () => {
      await server.app.close();
      await database.drop();
    },
  };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  protocol: string | null;
}

function httpsRequest(
  port: number,
  ca: Buffer,
  path: string,
  options: { method?: string; body?: unknown } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = https.request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port,
        path,
        method: options.method ?? 'GET',
        ca,
        headers: payload ? { 'content-type': 'application/json' } : {},
        agent: false,
      },
      (res) => {
        const protocol = (res.socket as tls.TLSSocket).getProtocol();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, protocol }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The outcome of a TLS handshake limited to one protocol version. */
function handshake(port: number, ca: Buffer, version: tls.SecureVersion): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      servername: 'localhost',
      port,
      ca,
      minVersion: version,
      maxVersion: version,
    });
    socket.once('secureConnect', () => {
      resolve(`connected ${socket.getProtocol()}`);
      socket.destroy();
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve(`refused ${error.code ?? error.message}`),
    );
  });
}

describe('TLS', () => {
  let dir: string;
  let cert: Buffer;
  let s: Started;

  beforeAll(async () => {
    // A throwaway certificate for this run; no private key is ever committed.
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'));
    s = await start({
      TLS_CERT_FILE: join(dir, 'cert.pem'),
      TLS_KEY_FILE: join(dir, 'key.pem'),
      PUBLIC_URL: 'https://localhost',
    });
  });
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a TLS 1.2 client during the handshake and serves a TLS 1.3 one', async () => {
    expect(await handshake(s.port, cert, 'TLSv1.2')).toBe(
      'refused ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
    );
    expect(await handshake(s.port, cert, 'TLSv1.3')).toBe('connected TLSv1.3');
    const res = await httpsRequest(s.port, cert, '/health/live');
    expect(res.status).toBe(200);
    expect(res.protocol).toBe('TLSv1.3');
  });

  it('speaks HTTPS only: plain HTTP on the port gets no answer', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get(
        { host: '127.0.0.1', port: s.port, path: '/health/live', agent: false },
        (res) => resolve(`status ${res.statusCode}`),
      );
      req.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? ''}`));
    });
    // The server expects a TLS ClientHello and drops the connection.
    expect(outcome).toMatch(/^error /);
  });

  it('sends HSTS, and Cache-Control: no-store on answers that carry tokens', async () => {
    const live = await httpsRequest(s.port, cert, '/health/live');
    expect(live.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    const login = await httpsRequest(s.port, cert, '/v1/auth/login', {
      method: 'POST',
      body: {
        tenant: 'root',
        email: 'admin@gatehouse.test',
        password: 'platform admin passphrase',
      },
    });
    expect(login.status).toBe(200);
    expect(JSON.parse(login.body)).toHaveProperty('accessToken');
    expect(login.headers['cache-control']).toBe('no-store');
    expect(login.headers['strict-transport-security']).toContain('max-age=31536000');
  });

  it('logs that it listens on https, and no warning about plain HTTP', () => {
    expect(s.logs.some((line) => line.includes('Gatehouse listening on https://'))).toBe(true);
    expect(s.logs.some((line) => line.includes('serving plain HTTP'))).toBe(false);
  });

  it('an unreadable certificate stops the start with a configuration error', async () => {
    const attempt = startServer({
      NODE_ENV: 'test',
      KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789abcdef',
      DATABASE_PATH: ':memory:',
      TLS_CERT_FILE: join(dir, 'missing.pem'),
      TLS_KEY_FILE: join(dir, 'key.pem'),
    });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toMatchObject({
      problems: ['TLS_CERT_FILE cannot be read (ENOENT)'],
    });
  });
});

describe('without TLS', () => {
  it('serves plain HTTP without HSTS and warns at start in production', async () => {
    const s = await start({
      NODE_ENV: 'production',
      ALLOW_SQLITE_IN_PRODUCTION: 'true',
    });
    try {
      const warning = s.logs
        .map((line) => JSON.parse(line) as { level: string; message: string; context?: string })
        .find((line) => line.message.includes('TLS_CERT_FILE/TLS_KEY_FILE are not set'));
      expect(warning).toMatchObject({ level: 'warn', context: 'Config' });
      expect(warning!.message).toContain('serving plain HTTP');
      const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
        http
          .get({ host: '127.0.0.1', port: s.port, path: '/health/live', agent: false }, resolve)
          .on('error', reject),
      );
      res.resume();
      expect(res.statusCode).toBe(200);
      expect(res.headers['strict-transport-security']).toBeUndefined();
      expect(s.logs.some((line) => line.includes('Gatehouse listening on http://'))).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('does not warn outside production', async () => {
    const s = await start({});
    try {
      expect(s.logs.some((line) => line.includes('serving plain HTTP'))).toBe(false);
    } finally {
      await s.close();
    }
  });
});
