#!/usr/bin/env node
'use strict';
/**
 * `npm start`: builds when the compiled app is missing or older than its sources, then serves
 * it in this same process (so signals reach Nest's shutdown hooks directly).
 */
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { availableParallelism } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..');
const entry = join(root, 'dist', 'src', 'main.js');

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

const sources = [
  'src',
  'migrations',
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
];
const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
const changed = Math.max(...sources.map((source) => newestMtime(join(root, source))));
if (built < changed) {
  process.stdout.write('Building Gatehouse...\n');
  execFileSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
}

// argon2 hashes in libuv's thread pool: give it one thread per core (default 4), before the
// pool is first used.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism()));
require(entry);
