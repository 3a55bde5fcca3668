#!/usr/bin/env node
'use strict';
process.stdout.write('no benchmarks yet (they come with the performance issue)\n');
