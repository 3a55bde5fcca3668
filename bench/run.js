#!/usr/bin/env node
'use strict';
/**
 * Gatehouse benchmarks (SPEC §12). Starts a production build on loopback with rate limits off,
 * measures each row with autocannon against a baseline taken in the same run, and prints a
 * table (`--json` for JSON). Options: `--rows 1,3,6`, `--duration <seconds per measurement>`,
 * `--connections <n>`, `--warmup <seconds before each measurement>`, `--profile <dir>` (a CPU
 * profile of each row's measured load, see `profileOf`).
 *
 * Row 8 (two instances on PostgreSQL + Redis) runs when BENCH_DATABASE_URL and BENCH_REDIS_URL
 * are set (CI-like machines have them: postgres://postgres@127.0.0.1:5432/postgres and
 * redis://127.0.0.1:6379); each run uses a database of its own.
 */
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } = require('node:fs');
const { availableParallelism, cpus, totalmem, tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const autocannon = require('autocannon');
const argon2 = require('argon2');
const {
  allocator,
  startGatehouse,
  startStandaloneOidc,
  startBareNest,
  createDatabase,
  dropDatabase,
} = require('./lib/processes');
const { fixtures } = require('./lib/fixtures');

const ROOT = join(__dirname, '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 && args[index + 1] ? args[index + 1] : fallback;
};
const JSON_OUTPUT = args.includes('--json');
const DURATION = Number(option('duration', '8'));
const CONNECTIONS = Number(option('connections', '50'));
const WARMUP = Number(option('warmup', '2'));
const ROWS = new Set(option('rows', '1,2,3,4,5,6,7,8').split(',').map(Number));
const CORES = availableParallelism();
const PROFILE_DIR = option('profile', null) && resolve(option('profile', null));
if (PROFILE_DIR) {
  mkdirSync(PROFILE_DIR, { recursive: true });
  // Read by `lib/processes.js`: every process it starts from now on preloads the profiler.
  process.env.GATEHOUSE_BENCH_PROFILE = PROFILE_DIR;
}

const log = (message) => {
  if (!JSON_OUTPUT) process.stderr.write(`${message}\n`);
};

/**
 * One measurement, after a warm-up at the same load whose figures are dropped: the first
 * seconds on a route measure the JIT compiler and cold caches, not the steady state. With
 * `--profile`, `profile` names the process to profile during the measurement and the file.
 */
async function run(options, profile) {
  if (WARMUP > 0) await measure({ ...options, duration: WARMUP });
  if (!PROFILE_DIR || !profile) return measure(options);
  const stop = await profileOf(profile.process, profile.name);
  let result;
  try {
    result = await measure(options);
    return result;
  } finally {
    await stop(result);
  }
}

/** How many profiles each process has written: it numbers its files 1, 2, … in that order. */
const profilesTaken = new Map();

/**
 * Starts the CPU profiler in a process the bench started (see `lib/profiler.js`) and answers a
 * function that stops it and names its file `<name>.cpuprofile` in the profile directory. The
 * figures of a profiled run carry the profiler's cost: profile to see where time goes, and
 * compare rows from runs without `--profile`.
 */
async function profileOf(child, name) {
  const sequence = (profilesTaken.get(child.pid) ?? 0) + 1;
  profilesTaken.set(child.pid, sequence);
  process.kill(child.pid, 'SIGWINCH');
  // The profiler starts through the inspector protocol, asynchronously: give it a moment.
  await new Promise((done) => setTimeout(done, 200));
  return async (result) => {
    process.kill(child.pid, 'SIGWINCH');
    const written = join(PROFILE_DIR, `${child.pid}-${sequence}.cpuprofile`);
    for (let waited = 0; !existsSync(written); waited += 100) {
      if (waited > 30_000) throw new Error(`no profile from process ${child.pid}`);
      await new Promise((done) => setTimeout(done, 100));
    }
    const target = join(PROFILE_DIR, `${name}.cpuprofile`);
    renameSync(written, target);
    const requests = result ? result['2xx'] + result.non2xx : 0;
    log(
      `  profile: ${target} (${requests} requests; node bench/profile-summary.js ${target} --requests ${requests})`,
    );
  };
}

function measure(options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { duration: DURATION, connections: CONNECTIONS, ...options },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    autocannon.track(instance, {
      renderProgressBar: false,
      renderResultsTable: false,
      renderLatencyTable: false,
      outputStream: { write: () => true },
    });
  });
}

function summary(result) {
  const ok = result['2xx'];
  const total = ok + result.non2xx;
  return {
    rps: Math.round((ok / result.duration) * 10) / 10,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    total,
  };
}

const fmt = (value, digits = 0) =>
  typeof value === 'number' ? value.toFixed(digits) : String(value);

async function measureHashTime() {
  const options = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
  for (let i = 0; i < 3; i++) await argon2.hash(`warm-${i}`, options);
  const rounds = 20;
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await argon2.hash(`password-${i}`, options);
  return Number(process.hrtime.bigint() - start) / 1e6 / rounds;
}

/** Restarts measured after the first; the median is reported (one start is a noisy sample). */
const RESTARTS = 3;

async function measureStart(env) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-start-'));
  try {
    const options = { ...env, DATABASE_PATH: join(dir, 'start.sqlite') };
    const first = await startGatehouse(options);
    await first.stop();
    // The restarts are the ones that count: migrations and keys exist, as on every restart.
    const restarts = [];
    for (let i = 0; i < RESTARTS; i++) {
      const again = await startGatehouse(options);
      restarts.push(again.readyMs);
      await again.stop();
    }
    restarts.sort((a, b) => a - b);
    return { firstMs: first.readyMs, ms: restarts[Math.floor(RESTARTS / 2)], restarts };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (!existsSync(join(ROOT, 'dist', 'src', 'main.js'))) {
    log('Building the production bundle...');
    execFileSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
  const rows = [];
  const add = (row) => {
    rows.push(row);
    log(
      `  row ${row.row}: ${row.figure}: ${row.value} (baseline ${row.baseline}; ratio ${row.ratio}; target ${row.target}) ${row.pass ? 'PASS' : 'MISS'}`,
    );
  };
  const machine = `${CORES} vCPU (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  log(
    `Gatehouse benchmarks on ${machine}; ${DURATION} s per measurement after ${WARMUP} s of warm-up, ${CONNECTIONS} connections; allocator: ${allocator.name}`,
  );

  // For scale: what the bare framework does on this machine.
  let floor = null;
  if (ROWS.has(1)) {
    const bare = await startBareNest();
    try {
      floor = summary(await run({ url: `${bare.url}/health/live` }));
    } finally {
      await bare.stop();
    }
    log(`  minimal Nest + Express 5 app: ${fmt(floor.rps)} req/s, p99 ${fmt(floor.p99)} ms`);
  }

  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const env = { DATABASE_PATH: join(dir, 'bench.sqlite') };
  const app = await startGatehouse(env);
  try {
    const f = await fixtures(app.url);
    let idleRead;

    if (ROWS.has(1) || ROWS.has(2) || ROWS.has(4)) {
      log('Row 1: protected read vs bare route');
      const bare = summary(
        await run({ url: `${app.url}/health/live` }, { process: app, name: 'row-1-bare-route' }),
      );
      idleRead = summary(
        await run(
          {
            url: `${app.url}/v1/auth/me`,
            headers: { authorization: `Bearer ${f.owner.accessToken}` },
          },
          { process: app, name: 'row-1-me' },
        ),
      );
      const ratio = idleRead.rps / bare.rps;
      add({
        row: 1,
        figure: 'protected read GET /v1/auth/me (bearer JWT): req/s, p99',
        value: `${fmt(idleRead.rps)} req/s, p99 ${fmt(idleRead.p99)} ms`,
        baseline: `bare route GET /health/live ${fmt(bare.rps)} req/s, p99 ${fmt(bare.p99)} ms`,
        ratio: fmt(ratio, 2),
        target: '>= 0.5 and >= 3000 req/s',
        pass: ratio >= 0.5 && idleRead.rps >= 3000 && idleRead.errors === 0,
        data: { bare, read: idleRead },
      });
    }

    if (ROWS.has(2)) {
      // p99 compared at the same, unsaturated concurrency (10 connections): at saturation a p99
      // only restates the throughput ratio (queueing), not what a write costs.
      log('Row 2: protected write with a CASL object check');
      const reads10 = summary(
        await run({
          url: `${app.url}/v1/auth/me`,
          connections: 10,
          headers: { authorization: `Bearer ${f.owner.accessToken}` },
        }),
      );
      const write = summary(
        await run(
          {
            url: `${app.url}/v1/projects/${f.projectId}`,
            method: 'PATCH',
            connections: 10,
            headers: {
              authorization: `Bearer ${f.member.accessToken}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify({ description: 'benchmarked' }),
          },
          { process: app, name: 'row-2-patch' },
        ),
      );
      const ratio = write.p99 / reads10.p99;
      add({
        row: 2,
        figure: 'protected write PATCH /v1/projects/:id (CASL object check), 10 connections',
        value: `${fmt(write.rps)} req/s, p99 ${fmt(write.p99)} ms`,
        baseline: `row 1 read, 10 connections: ${fmt(reads10.rps)} req/s, p99 ${fmt(reads10.p99)} ms`,
        ratio: fmt(ratio, 2),
        target: 'p99 <= 2x row 1',
        pass: ratio <= 2 && write.errors === 0,
        data: { write, reads10 },
      });
    }

    if (ROWS.has(3) || ROWS.has(4)) {
      log('Row 3: password logins vs the hash-bound limit');
      const hashBefore = await measureHashTime();
      const logins = summary(
        await run(
          {
            url: `${app.url}/v1/auth/login`,
            method: 'POST',
            connections: Math.max(4, CORES * 4),
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ tenant: f.tenant, email: f.member.email, password: f.password }),
          },
          { process: app, name: 'row-3-logins' },
        ),
      );
      // The VM's speed drifts within a run: a hash is timed before and after the logins, and the
      // limit uses the mean, so one slow or fast moment does not decide the ratio alone.
      const hashAfter = await measureHashTime();
      const hashMs = (hashBefore + hashAfter) / 2;
      const limit = (CORES * 1000) / hashMs;
      const ratio = logins.rps / limit;
      add({
        row: 3,
        figure: 'password logins/s (argon2id m=19 MiB t=2 p=1)',
        value: `${fmt(logins.rps, 1)} logins/s, p99 ${fmt(logins.p99)} ms`,
        baseline: `hash-bound limit ${fmt(limit, 1)}/s (${CORES} cores / ${fmt(hashMs, 1)} ms per hash: ${fmt(hashBefore, 1)} before, ${fmt(hashAfter, 1)} after)`,
        ratio: fmt(ratio, 2),
        target: '>= 0.85 and >= 60/s',
        pass: ratio >= 0.85 && logins.rps >= 60 && logins.errors === 0,
        data: { logins, hashMs, hashBefore, hashAfter, limit },
      });
    }

    if (ROWS.has(4)) {
      log('Row 4: protected reads while logins saturate the CPU');
      const readOptions = {
        url: `${app.url}/v1/auth/me`,
        connections: 10,
        headers: { authorization: `Bearer ${f.owner.accessToken}` },
      };
      const idle = summary(await run(readOptions));
      const [, loaded] = await Promise.all([
        run({
          url: `${app.url}/v1/auth/login`,
          method: 'POST',
          connections: Math.max(4, CORES * 4),
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ tenant: f.tenant, email: f.member.email, password: f.password }),
        }),
        run(readOptions),
      ]).then(([logins, reads]) => [summary(logins), summary(reads)]);
      const ratio = loaded.p99 / idle.p99;
      add({
        row: 4,
        figure: 'p99 of protected reads while logins saturate the CPU',
        value: `p99 ${fmt(loaded.p99)} ms (${fmt(loaded.rps)} req/s)`,
        baseline: `idle p99 ${fmt(idle.p99)} ms (${fmt(idle.rps)} req/s), 10 connections`,
        ratio: fmt(ratio, 2),
        target: '<= 3x',
        pass: ratio <= 3 && loaded.errors === 0,
        data: { idle, loaded },
      });
    }

    if (ROWS.has(5)) {
      log('Row 5: OAuth client_credentials tokens vs a standalone oidc-provider');
      const standalone = await startStandaloneOidc();
      try {
        const basic = (id, secret) =>
          `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
        const form = 'grant_type=client_credentials&scope=projects%3Aread';
        const engine = summary(
          await run(
            {
              url: `${standalone.url}/token`,
              method: 'POST',
              headers: {
                authorization: basic(standalone.clientId, standalone.clientSecret),
                'content-type': 'application/x-www-form-urlencoded',
              },
              body: form,
            },
            { process: standalone, name: 'row-5-standalone-engine' },
          ),
        );
        const ours = f.oauthClient
          ? summary(
              await run(
                {
                  url: `${app.url}/oidc/token`,
                  method: 'POST',
                  headers: {
                    authorization: basic(f.oauthClient.clientId, f.oauthClient.clientSecret),
                    'content-type': 'application/x-www-form-urlencoded',
                  },
                  body: form,
                },
                { process: app, name: 'row-5-tokens' },
              ),
            )
          : null;
        const ratio = ours ? ours.rps / engine.rps : 0;
        add({
          row: 5,
          figure: 'OAuth client_credentials tokens/s (ES256 JWT)',
          value: ours
            ? `${fmt(ours.rps)} tokens/s, p99 ${fmt(ours.p99)} ms`
            : 'not available (no OAuth client API)',
          // A baseline that answered errors would make any ratio meaningless: say so instead.
          baseline: engine.errors
            ? `standalone oidc-provider: ${engine.errors} errors, baseline invalid`
            : `standalone oidc-provider ${fmt(engine.rps)} tokens/s`,
          ratio: fmt(ratio, 2),
          target: '>= 2500/s and >= 0.75',
          pass:
            Boolean(ours) &&
            engine.errors === 0 &&
            ours.rps >= 2500 &&
            ratio >= 0.75 &&
            ours.errors === 0,
          data: { engine, ours },
        });
      } finally {
        await standalone.stop();
      }
    }

    if (ROWS.has(6)) {
      log('Row 6: refresh grants (rotating)');
      const refresh = summary(
        await runRefreshes(app.url, f.refreshTokens, CONNECTIONS, {
          process: app,
          name: 'row-6-refreshes',
        }),
      );
      add({
        row: 6,
        figure: 'refresh grants/s (POST /v1/auth/refresh, rotating)',
        value: `${fmt(refresh.rps)} refreshes/s, p99 ${fmt(refresh.p99)} ms`,
        baseline: "Keycloak's published sizing: 120 refresh grants/s per vCPU",
        ratio: fmt(refresh.rps / (120 * CORES), 2),
        target: '>= 1000/s',
        pass: refresh.rps >= 1000 && refresh.errors === 0,
        data: { refresh },
      });
    }

    if (ROWS.has(7)) {
      log('Row 7: resident memory under load; start to ready');
      const rssUnderLoad = await app.peakRssDuring(() =>
        run({
          url: `${app.url}/v1/auth/me`,
          headers: { authorization: `Bearer ${f.owner.accessToken}` },
        }),
      );
      const start = await measureStart({});
      add({
        row: 7,
        figure: 'resident memory under load; start to ready on SQLite',
        value: `${fmt(rssUnderLoad / 2 ** 20)} MB; ${fmt(start.ms)} ms (median of ${RESTARTS} restarts; first start with migrations ${fmt(start.firstMs)} ms)`,
        baseline: "Keycloak's published sizing: 1250 MB base memory per pod",
        ratio: fmt(rssUnderLoad / 2 ** 20 / 1250, 2),
        target: '<= 200 MB; <= 2 s',
        pass: rssUnderLoad <= 200 * 2 ** 20 && start.ms <= 2000,
        data: { rssUnderLoad, start },
      });
    }
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  if (ROWS.has(8)) {
    const databaseUrl = process.env.BENCH_DATABASE_URL;
    const redisUrl = process.env.BENCH_REDIS_URL;
    if (!databaseUrl || !redisUrl) {
      log('Row 8 needs BENCH_DATABASE_URL and BENCH_REDIS_URL: not run');
    } else {
      log('Row 8: rows 1, 3, 6 with two instances on PostgreSQL + Redis');
      const database = await createDatabase(databaseUrl);
      const prefix = `bench-${Date.now().toString(36)}:`;
      const shared = { DATABASE_URL: database.url, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix };
      const one = await startGatehouse(shared);
      // Behind one load balancer both answer to one public URL, the issuer of every token.
      const two = await startGatehouse({ ...shared, PUBLIC_URL: one.url });
      try {
        const f = await fixtures(one.url);
        const both = (options) =>
          Promise.all(
            [one, two].map((instance) =>
              run({ ...options, url: options.url.replace('{base}', instance.url) }),
            ),
          );
        const reads = (
          await both({
            url: '{base}/v1/auth/me',
            connections: CONNECTIONS / 2,
            headers: { authorization: `Bearer ${f.owner.accessToken}` },
          })
        ).map(summary);
        const logins = (
          await both({
            url: '{base}/v1/auth/login',
            method: 'POST',
            connections: CORES * 2,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ tenant: f.tenant, email: f.member.email, password: f.password }),
          })
        ).map(summary);
        const refreshes = (
          await Promise.all(
            // Each instance its own half of the tokens: one token on both would be reuse.
            [one, two].map((instance, index) =>
              runRefreshes(
                instance.url,
                f.refreshTokens.filter((_, position) => position % 2 === index),
                CONNECTIONS / 2,
              ),
            ),
          )
        ).map(summary);
        const sum = (list) => list.reduce((total, item) => total + item.rps, 0);
        add({
          row: 8,
          figure: 'rows 1, 3, 6 with two instances on PostgreSQL + Redis',
          value: `reads ${fmt(sum(reads))} req/s (p99 ${fmt(Math.max(...reads.map((r) => r.p99)))} ms); logins ${fmt(sum(logins), 1)}/s; refreshes ${fmt(sum(refreshes))}/s`,
          baseline: 'reported',
          ratio: '-',
          target: 'reported',
          pass: [...reads, ...logins, ...refreshes].every((r) => r.errors === 0),
          data: { reads, logins, refreshes },
        });
      } finally {
        await Promise.all([one.stop(), two.stop()]);
        await dropDatabase(databaseUrl, database.name);
      }
    }
  }

  if (JSON_OUTPUT) {
    process.stdout.write(
      `${JSON.stringify({ machine, allocator: allocator.name, durationSeconds: DURATION, warmupSeconds: WARMUP, connections: CONNECTIONS, floor, rows }, null, 2)}\n`,
    );
  } else {
    printTable(machine, rows, floor);
  }
}

/**
 * Rotating refreshes. autocannon resets a request's context on every loop, so the tokens live in
 * a pool instead: a request takes one, and its answer puts the rotated successor back. With one
 * request in flight per connection the pool never runs dry, and no token is ever used twice
 * (which would count as reuse and revoke its session).
 */
function runRefreshes(base, tokens, connections = CONNECTIONS, profile = undefined) {
  const pool = tokens.slice();
  return run(
    {
      url: `${base}/v1/auth/refresh`,
      connections: Math.min(connections, pool.length),
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({ refreshToken: pool.shift() }),
          }),
          onResponse: (status, body) => {
            if (status === 200) pool.push(JSON.parse(body).refreshToken);
          },
        },
      ],
    },
    profile,
  );
}

function printTable(machine, rows, floor) {
  const header = ['#', 'figure', 'value', 'baseline (same run)', 'ratio', 'target', ''];
  const lines = rows.map((row) => [
    String(row.row),
    row.figure,
    row.value,
    row.baseline,
    row.ratio,
    row.target,
    row.pass ? 'pass' : 'MISS',
  ]);
  const widths = header.map((title, index) =>
    Math.max(title.length, ...lines.map((line) => line[index].length)),
  );
  const format = (cells) =>
    `| ${cells.map((cell, index) => cell.padEnd(widths[index])).join(' | ')} |`;
  process.stdout.write(`\nGatehouse benchmarks — ${machine}\n\n`);
  process.stdout.write(
    `${format(header)}\n|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|\n`,
  );
  for (const line of lines) process.stdout.write(`${format(line)}\n`);
  process.stdout.write(
    `\n${CONNECTIONS} connections, ${DURATION} s per measurement after ${WARMUP} s of warm-up; autocannon shares the machine.\nAllocator: ${allocator.name}.\n`,
  );
  if (floor) {
    process.stdout.write(
      `For scale: a minimal Nest + Express 5 app answers ${fmt(floor.rps)} req/s here ` +
        '(SPEC §12 quotes about 6,300 req/s on one core of its reference machine).\n',
    );
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
