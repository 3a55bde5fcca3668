// Boots Gatehouse's production build on a fresh SQLite file, generates this example's types from
// the document it serves, lints and type-checks the consumer against them, then runs it against
// that Gatehouse. Exits non-zero at the first step that fails.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const here = import.meta.dirname;
const root = join(here, '..', '..');
const ADMIN = 'admin@gatehouse.test';
const PASSWORD = 'api client check passphrase';

const started = Date.now();
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-api-client-'));
let gatehouse;

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

/** Starts Gatehouse with only the given environment; resolves once it is ready. */
async function startGatehouse(env, readyUrl) {
  const child = spawn(process.execPath, [join(root, 'dist', 'src', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  gatehouse = { child, output: () => output };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Gatehouse exited during start:\n${output}`);
    const status = await fetch(readyUrl).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`Gatehouse did not become ready:\n${output}`);
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

/** Runs a command in this folder with its output shown; rejects unless it exits 0. */
function run(what, command, args, env = {}) {
  log(what);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: here,
      env: { ...process.env, ...env },
      stdio: 'inherit',
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${what}: exit ${code ?? signal}`)),
    );
  });
}

async function main() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  await startGatehouse(
    {
      NODE_ENV: 'production',
      ALLOW_SQLITE_IN_PRODUCTION: 'true',
      DATABASE_PATH: join(dataDir, 'gatehouse.sqlite'),
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      BOOTSTRAP_ADMIN_EMAIL: ADMIN,
      BOOTSTRAP_ADMIN_PASSWORD: PASSWORD,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: url,
    },
    `${url}/health/ready`,
  );
  log(`Gatehouse ready on ${url}`);

  const res = await fetch(`${url}/docs-json`);
  if (res.status !== 200) throw new Error(`GET /docs-json answered ${res.status}`);
  const document = await res.json();
  const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
  const operations = Object.values(document.paths).flatMap((item) =>
    Object.keys(item).filter((key) => methods.has(key)),
  );
  log(`/docs-json: OpenAPI ${document.openapi}, ${operations.length} operations`);

  const env = { GATEHOUSE_URL: url };
  await run(
    'openapi-typescript: src/gatehouse.d.ts from /docs-json',
    'npm',
    ['run', '-s', 'generate'],
    env,
  );
  // The root's ESLint and plugins with this folder's config (the root config skips this folder).
  await run('eslint', join(root, 'node_modules', '.bin', 'eslint'), ['--max-warnings', '0', '.']);
  await run('tsc: the consumer type-checked against them', 'npm', ['run', '-s', 'build']);
  await run('the consumer against Gatehouse', 'npm', ['run', '-s', 'start'], {
    ...env,
    GATEHOUSE_ADMIN_EMAIL: ADMIN,
    GATEHOUSE_ADMIN_PASSWORD: PASSWORD,
  });
}

try {
  await main();
  log('api-client example: passed');
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`\nFAILED: ${error instanceof Error ? error.message : String(error)}\n`);
  if (gatehouse) process.stderr.write(`\n--- Gatehouse output ---\n${gatehouse.output()}`);
} finally {
  if (gatehouse) await stop(gatehouse.child);
  rmSync(dataDir, { recursive: true, force: true });
}
