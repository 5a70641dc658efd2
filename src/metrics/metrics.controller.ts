import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Registry } from 'prom-client';
import { Operation } from '../common/decorators/operation.decorator';
import { Public } from '../common/decorators/public.decorator';
import { MetricsService } from './metrics.service';

/** Prometheus scrape endpoint (docs/operations.md): no auth, not rate limited. */
@ApiTags('operations')
@Public()
@SkipThrottle()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  @Operation('getMetrics', 'Prometheus metrics (text exposition format)')
  @ApiProduces(Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOkResponse({ description: 'Every series labelled app_version and color', schema: { type: 'string' } })
  scrape(): Promise<string> {
    return this.metrics.render();
  }
}
