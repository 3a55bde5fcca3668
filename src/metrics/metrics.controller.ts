import { Controller, Get, Header, Req } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../common/decorators/access.decorators';
import { AppError } from '../common/errors/app-error';
import { ProblemResponseDto } from '../common/http/problem-response.dto';
import { MetricsListener } from './metrics-listener';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly listener: MetricsListener,
  ) {}

  /** For Prometheus on the internal network: keep it away from the public edge. */
  @Get()
  @Public()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)' })
  @ApiOkResponse({
    description: 'Prometheus text format',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiNotFoundResponse({
    description: 'METRICS_PORT is set: served on that port only',
    type: ProblemResponseDto,
  })
  scrape(@Req() req: Request): Promise<string> {
    // Checked here, on whatever path reached the handler (`/METRICS`, `/metrics/`), as an
    // unknown route would answer.
    if (this.listener.separate && !this.listener.arrivedInternally(req)) throw AppError.notFound();
    return this.metrics.registry.metrics();
  }
}
