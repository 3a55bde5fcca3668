// Boots Gatehouse's production build on a fresh SQLite file and this example pointed at it, then
// calls the example with real, forged, unsigned, tampered, under-privileged, revoked and expired
// tokens. Exits non-zero at the first answer that is not the expected one.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const PASSWORD = 'resource server check passphrase';
const ADMIN = 'admin@gatehouse.test';
// Gatehouse's shortest access-token lifetime, so that the expiry case waits as little as it can.
const TOKEN_TTL_S = 30;
// The example's clock tolerance (gatehouse-jwt.strategy.ts), plus a second of margin.
const SKEW_S = 6;

const started = Date.now();
const processes = [];
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-example-'));

function log(line) {
  process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts `node <entry>` with only the given environment; resolves once `readyUrl` answers 200. */
async function startNode(name, entry, env, readyUrl) {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const proc = { name, child, output: () => output };
  processes.push(proc);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited during start:\n${output}`);
    const status = await fetch(readyUrl).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) return proc;
    if (Date.now() > deadline) throw new Error(`${name} did not become ready:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function call(base, method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** A call to Gatehouse that must answer `expected`; resolves to the answer's body. */
async function gatehouseCall(base, method, path, expected, options) {
  const res = await call(base, method, path, options);
  if (res.status !== expected) {
    throw new Error(`Gatehouse ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

let checks = 0;
/** A call to the example that must answer `expected`. */
async function expectStatus(base, path, token, expected, what) {
  const res = await call(base, 'GET', path, { token });
  if (res.status !== expected) {
    throw new Error(`${what}: GET ${path} answered ${res.status}, expected ${expected}`);
  }
  checks += 1;
  log(`ok  ${expected} GET ${path.padEnd(14)} ${what}`);
  return res.body;
}

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** The token's header and claims, signed with a key Gatehouse never published. */
function forge(token, changes = {}) {
  const [header, payload] = token.split('.');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const input = `${header}.${b64({ ...decode(payload), ...changes })}`;
  const signature = sign('sha256', Buffer.from(input), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

async function main() {
  const gatehousePort = await freePort();
  const gatehouse = `http://127.0.0.1:${gatehousePort}`;
  await startNode(
    'Gatehouse',
    join(root, 'dist', 'src', 'main.js'),
    {
      NODE_ENV: 'production',
      ALLOW_SQLITE_IN_PRODUCTION: 'true',
      DATABASE_PATH: join(dataDir, 'gatehouse.sqlite'),
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      BOOTSTRAP_ADMIN_EMAIL: ADMIN,
      BOOTSTRAP_ADMIN_PASSWORD: PASSWORD,
      ACCESS_TOKEN_TTL: String(TOKEN_TTL_S),
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(gatehousePort),
      PUBLIC_URL: gatehouse,
    },
    `${gatehouse}/health/ready`,
  );
  log(`Gatehouse ready on ${gatehouse}`);

  // An owner of a new tenant (created by the platform admin) may read the tenant; a member who
  // signed up may not.
  const post = (path, expected, body, token) =>
    gatehouseCall(gatehouse, 'POST', path, expected, { body, token });
  const login = (tenant, email) =>
    post('/v1/auth/login', 200, { tenant, email, password: PASSWORD });
  const admin = await login('root', ADMIN);
  const acmeOwner = { email: 'owner@acme.test', password: PASSWORD };
  await post(
    '/v1/tenants',
    201,
    { slug: 'acme', name: 'Acme', owner: acmeOwner },
    admin.accessToken,
  );
  const member = await post('/v1/auth/register', 201, {
    tenant: 'acme',
    email: 'member@acme.test',
    password: PASSWORD,
  });
  const owner = await login('acme', acmeOwner.email);
  log('tenant acme: owner signed in, member signed up');

  const examplePort = await freePort();
  const example = `http://127.0.0.1:${examplePort}`;
  await startNode(
    'the example',
    join(import.meta.dirname, 'dist', 'main.js'),
    { GATEHOUSE_URL: gatehouse, NO_COLOR: '1', HOST: '127.0.0.1', PORT: String(examplePort) },
    `${example}/health`,
  );
  log(`example ready on ${example}`);
  const expect = (path, token, expected, what) =>
    expectStatus(example, path, token, expected, what);

  const ownerToken = owner.accessToken;
  const memberToken = member.accessToken;
  const [header, payload, signature] = ownerToken.split('.');
  const ownerClaims = decode(payload);
  const memberClaims = decode(memberToken.split('.')[1]);

  const whoami = await expect('/whoami', ownerToken, 200, "owner's token");
  if (whoami.sub !== ownerClaims.sub || whoami.tenantId !== ownerClaims.tid) {
    throw new Error(`/whoami answered ${JSON.stringify(whoami)}`);
  }
  await expect('/reports/usage', ownerToken, 200, "owner's token, holds read Tenant");
  await expect('/whoami', memberToken, 200, "member's token");
  await expect('/reports/usage', memberToken, 403, "member's token, lacks read Tenant");
  await expect('/whoami', undefined, 401, 'no token');
  await expect('/whoami', forge(ownerToken), 401, 'forged: same kid, another key');
  const unsigned = `${b64({ ...decode(header), alg: 'none' })}.${payload}.`;
  await expect('/whoami', unsigned, 401, 'alg: none');
  const otherUser = `${header}.${b64({ ...ownerClaims, sub: memberClaims.sub })}.${signature}`;
  await expect('/whoami', otherUser, 401, 'sub changed under a real signature');

  // Revocation reaches only the routes that ask Gatehouse: the token itself stays valid until it
  // expires, as any stateless verifier would accept it. Gatehouse promises 10 s at most.
  await post('/v1/auth/logout-all', 204, undefined, ownerToken);
  const revokedBy = Date.now() + 12_000;
  while ((await call(example, 'GET', '/reports/usage', { token: ownerToken })).status !== 401) {
    if (Date.now() > revokedBy) throw new Error('a revoked session still passes /reports/usage');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await expect('/reports/usage', ownerToken, 401, 'owner signed out everywhere');
  await expect('/whoami', ownerToken, 200, 'the same token, no Gatehouse call');

  const waitMs = (memberClaims.exp + SKEW_S) * 1000 - Date.now();
  log(`waiting ${(waitMs / 1000).toFixed(1)} s for the member's token to expire`);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, waitMs)));
  await expect('/whoami', memberToken, 401, "member's token, expired");
}

try {
  await main();
  log(`resource-server example: ${checks} checks passed`);
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`\nFAILED: ${error instanceof Error ? error.message : String(error)}\n`);
  for (const proc of processes)
    process.stderr.write(`\n--- ${proc.name} output ---\n${proc.output()}`);
} finally {
  await Promise.all(processes.map(({ child }) => stop(child)));
  rmSync(dataDir, { recursive: true, force: true });
}
