#!/usr/bin/env node
'use strict';
/**
 * Where the time of a `.cpuprofile` went, as text: self time by package (a dependency, a file
 * of Gatehouse's build, a Node.js internal module, or V8's own: GC, compiling, idle) and by
 * function. For the flame graph, open the file in Chrome DevTools or speedscope.
 *
 *   node bench/profile-summary.js <file.cpuprofile> [--top <n>] [--requests <n>]
 *
 * With `--requests` (the bench prints each measurement's count), times are also given in
 * microseconds per request, which compares across runs where percentages cannot.
 */
const { readFileSync } = require('node:fs');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 && args[index + 1] ? args[index + 1] : fallback;
};
const file = args.find((arg, index) => !arg.startsWith('--') && !args[index - 1]?.startsWith('--'));
if (!file) {
  process.stderr.write(
    'usage: node bench/profile-summary.js <file.cpuprofile> [--top <n>] [--requests <n>]\n',
  );
  process.exit(2);
}
const top = Number(option('top', '25'));
const requests = Number(option('requests', '0'));

/** The package a frame belongs to: what a reader can act on. */
function packageOf({ url, functionName }) {
  // V8's own entries, "(garbage collector)", "(idle)", "(program)", stand for themselves; other
  // frames without a script are native code (C++ built-ins, socket writes, crypto jobs).
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1];
  const own = /\/dist\/(src\/.+)$/.exec(url);
  if (own) return `gatehouse ${own[1]}`;
  return url.startsWith('node:') ? url : url.replace(/^file:\/\//, '');
}

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
// Each sample's time is the delta to the next one; the profile's own time base is microseconds.
const selfTime = new Map();
profile.samples.forEach((id, index) => {
  const delta = profile.timeDeltas[index + 1] ?? 0;
  selfTime.set(id, (selfTime.get(id) ?? 0) + Math.max(0, delta));
});

const byPackage = new Map();
const byFunction = new Map();
let total = 0;
for (const [id, time] of selfTime) {
  const frame = nodes.get(id).callFrame;
  const pkg = packageOf(frame);
  const name = frame.functionName || '(anonymous)';
  const fn = name === pkg ? name : `${name}  ${pkg}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + time);
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + time);
  total += time;
}

function print(title, table) {
  process.stdout.write(`\n${title}\n`);
  const rows = [...table].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [name, time] of rows) {
    const share = `${((100 * time) / total).toFixed(1).padStart(5)} %`;
    const perRequest = requests > 0 ? `${(time / requests).toFixed(1).padStart(8)} µs/req` : '';
    process.stdout.write(`${share}${perRequest}  ${name}\n`);
  }
}

process.stdout.write(
  `${file}: ${(total / 1e6).toFixed(2)} s sampled` +
    (requests > 0 ? `, ${requests} requests, ${(total / requests).toFixed(1)} µs each` : '') +
    '\n',
);
print('Self time by package', byPackage);
print('Self time by function', byFunction);
