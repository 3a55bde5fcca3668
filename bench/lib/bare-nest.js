'use strict';
/**
 * A minimal Nest + Express 5 app with one route: the floor of any Nest service on this machine,
 * printed with the benchmark table to put absolute numbers in scale (SPEC §12 quotes ~6,300 req/s
 * per core for it on its reference machine).
 */
require('reflect-metadata');
const { NestFactory } = require('@nestjs/core');
const { Controller, Get, Module } = require('@nestjs/common');

class HealthController {
  live() {
    return { status: 'ok' };
  }
}
Controller('health')(HealthController);
Reflect.decorate(
  [Get('live')],
  HealthController.prototype,
  'live',
  Object.getOwnPropertyDescriptor(HealthController.prototype, 'live'),
);

class BareModule {}
Module({ controllers: [HealthController] })(BareModule);

NestFactory.create(BareModule, { logger: false }).then((app) =>
  app.listen(Number(process.argv[2]), '127.0.0.1'),
);
