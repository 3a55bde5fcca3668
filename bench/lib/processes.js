'use strict';
const { spawn } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { availableParallelism } = require('node:os');
const { createServer } = require('node:net');
const { join } = require('node:path');
const { Client } = require('pg');

const ROOT = join(__dirname, '..', '..');

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

async function waitFor(url, child, output, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`process exited:\n${output()}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) throw new Error(`not ready in time:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function stopper(child) {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/**
 * With `--profile`, a child preloads the profiler that SIGWINCH toggles (`profiler.js`); the
 * heap limit and the other options stay as given.
 */
function profiled(nodeOptions) {
  const dir = process.env.GATEHOUSE_BENCH_PROFILE;
  if (!dir) return nodeOptions ? { NODE_OPTIONS: nodeOptions } : {};
  const preload = `--require ${JSON.stringify(join(__dirname, 'profiler.js'))}`;
  return {
    NODE_OPTIONS: nodeOptions ? `${nodeOptions} ${preload}` : preload,
    GATEHOUSE_BENCH_PROFILE: dir,
  };
}

/**
 * The settings of the Dockerfile's image that change speed or memory, read from the Dockerfile
 * itself (`ENV NAME=value`, one per line), so the bench runs what ships and cannot drift from it.
 */
function imageSettings(...names) {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  return Object.fromEntries(
    names.map((name) => {
      const match = new RegExp(`^\\s*(?:ENV\\s+)?${name}=(\\S+)`, 'm').exec(dockerfile);
      if (!match) throw new Error(`The Dockerfile sets no ${name}: the bench mirrors the image`);
      return [name, match[1]];
    }),
  );
}
const IMAGE = imageSettings('LD_PRELOAD', 'MALLOC_CONF', 'MALLOC_ARENA_MAX', 'NODE_OPTIONS');

/**
 * The allocator the Dockerfile's image preloads (Debian's libjemalloc2), with its settings, when
 * this machine has the library (at the image's path or Debian's); else glibc's malloc, as the
 * image runs with `LD_PRELOAD=`.
 */
const JEMALLOC = [
  IMAGE.LD_PRELOAD,
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
].find((path) => existsSync(path));
const allocator = JEMALLOC
  ? {
      name: 'jemalloc, as the Dockerfile sets it up',
      env: { LD_PRELOAD: JEMALLOC, MALLOC_CONF: IMAGE.MALLOC_CONF },
    }
  : {
      name: "glibc malloc (libjemalloc2 is not installed here; the Dockerfile's image uses jemalloc)",
      env: {},
    };

/** A production build of Gatehouse, as an operator runs it, with rate limits off. */
async function startGatehouse(env) {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      ALLOW_SQLITE_IN_PRODUCTION: 'true',
      KEY_ENCRYPTION_KEY: 'benchmark-key-encryption-key-0123456789',
      BOOTSTRAP_ADMIN_EMAIL: 'admin@bench.test',
      BOOTSTRAP_ADMIN_PASSWORD: 'benchmark admin passphrase',
      RATE_LIMITS: 'off',
      // Operational logs (warnings, errors) stay on; the per-event audit line is a log shipper's
      // concern and would measure stdout, not Gatehouse.
      LOG_LEVEL: 'warn',
      UV_THREADPOOL_SIZE: String(Math.max(2, availableParallelism())),
      // As the Dockerfile ships it: the heap limit keeps V8 from growing the heap with garbage;
      // the allocator returns what argon2 and the thread pool free (see the Dockerfile).
      ...profiled(IMAGE.NODE_OPTIONS),
      ...allocator.env,
      MALLOC_ARENA_MAX: IMAGE.MALLOC_ARENA_MAX,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/health/ready`, child, () => output);
  const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
  return {
    url,
    pid: child.pid,
    readyMs,
    output: () => output,
    stop: stopper(child),
    /** The highest resident memory of the process while `work` runs. */
    async peakRssDuring(work) {
      let peak = rssOf(child.pid);
      const timer = setInterval(() => {
        peak = Math.max(peak, rssOf(child.pid));
      }, 100);
      try {
        await work();
      } finally {
        clearInterval(timer);
      }
      return Math.max(peak, rssOf(child.pid));
    },
  };
}

/** The same oidc-provider version on its own, minimally configured: the engine's own speed. */
async function startStandaloneOidc() {
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, 'standalone-oidc.mjs'), String(port)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: 'production', ...profiled('') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/.well-known/openid-configuration`, child, () => output);
  return {
    url,
    pid: child.pid,
    clientId: 'bench-client',
    clientSecret: 'bench-client-secret-0123456789abcdef',
    stop: stopper(child),
  };
}

/** The minimal Nest app of `bare-nest.js`, for scale. */
async function startBareNest() {
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, 'bare-nest.js'), String(port)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/health/live`, child, () => output);
  return { url, stop: stopper(child) };
}

async function createDatabase(baseUrl) {
  const name = `gatehouse_bench_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

async function dropDatabase(baseUrl, name) {
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

module.exports = {
  allocator,
  startGatehouse,
  startStandaloneOidc,
  startBareNest,
  createDatabase,
  dropDatabase,
};
