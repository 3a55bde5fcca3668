'use strict';
/**
 * Preloaded (`--require`) into the processes that `npm run bench -- --profile <dir>` starts.
 * SIGWINCH starts V8's sampling CPU profiler; the next SIGWINCH stops it and writes
 * `<dir>/<pid>-<n>.cpuprofile`, the format Chrome DevTools (Performance, "Load profile") and
 * speedscope open as flame graphs. The bench signals around each measurement, so a profile holds
 * the measured load only: not the start, the fixtures or the warm-up. Not SIGUSR1 (the
 * inspector's) nor SIGUSR2 (Nest's shutdown hooks stop the app on it); a daemon never gets a
 * SIGWINCH otherwise, and ignores it by default.
 */
const { Session } = require('node:inspector');
const { renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.GATEHOUSE_BENCH_PROFILE;
/** Microseconds between samples: fine enough for a request of ~200 µs, cheap enough to run under load. */
const INTERVAL_US = 500;

const session = new Session();
session.connect();
const post = (method, params = {}) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );

let running = false;
let written = 0;

async function toggle() {
  if (!running) {
    running = true;
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: INTERVAL_US });
    await post('Profiler.start');
    return;
  }
  running = false;
  const { profile } = await post('Profiler.stop');
  const file = join(dir, `${process.pid}-${++written}.cpuprofile`);
  // Written aside and renamed, so the bench never reads half a file.
  writeFileSync(`${file}.partial`, JSON.stringify(profile));
  renameSync(`${file}.partial`, file);
}

if (dir) {
  process.on('SIGWINCH', () => {
    toggle().catch((error) => process.stderr.write(`profiler: ${error.stack ?? error}\n`));
  });
}
