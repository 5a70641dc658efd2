import { Controller, Get, HttpException, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { Operation } from '../common/decorators/operation.decorator';
import { Public } from '../common/decorators/public.decorator';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { LivenessView, ReadinessView } from './health.view';
import { ReadinessIndicators } from './readiness.service';

/**
 * Liveness and readiness in Terminus' JSON shape (docs/operations.md, "Health"), for Kubernetes probes and
 * balancers. Not authenticated, not rate limited, never answered with a problem document: a failed
 * check is 503 with Terminus' `{status: "error", info, error, details}` body.
 */
@ApiTags('operations')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: ReadinessIndicators,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The process can serve. Never touches the database: an outage must not get pods restarted. */
  @Get('live')
  // Documented below: Terminus' own documentation would list a 503 this check never answers.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @Operation('getLiveness', 'Liveness: the process can serve (no database check); reports version and colour')
  @ApiOkResponse({ type: LivenessView })
  live(): Promise<HealthCheckResult> {
    const { appVersion: version, releaseColor: color } = this.config;
    return this.health.check([() => this.indicators.check('app').up({ version, color })]);
  }

  /** Ready for traffic: no shutdown under way, the database answers, migrations applied. */
  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @Operation('getReadiness', 'Readiness: database answers, migrations applied, no shutdown under way')
  @ApiOkResponse({ type: ReadinessView, description: 'Ready for traffic' })
  @ApiServiceUnavailableResponse({
    type: ReadinessView,
    description: 'Not ready: the failing checks are in `error`',
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      const result = await this.health.check([
        () => this.readiness.shutdown(),
        () => this.readiness.database(),
        () => this.readiness.migrations(),
      ]);
      this.readiness.noteOutcome(undefined);
      return result;
    } catch (error) {
      if (!(error instanceof HttpException) || error.getStatus() !== 503) throw error;
      const body = error.getResponse() as HealthCheckResult;
      this.readiness.noteOutcome(Object.keys(body.error ?? {}).join(',') || 'unknown');
      void reply.code(503);
      return body;
    }
  }
}
