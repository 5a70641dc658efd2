import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

/**
 * The probe answers, in Terminus' JSON shape (`{status, info, error, details}`, each check by its
 * name): the names are those of src/health/health.controller.ts and src/health/readiness.service.ts.
 */
@ApiSchema({ name: 'HealthCheck' })
class HealthIndicatorView {
  @ApiProperty({ enum: ['up', 'down'] })
  status!: 'up' | 'down';

  @ApiPropertyOptional({ description: 'Why the check is down: a fixed text (the cause is logged)' })
  message?: string;

  @ApiPropertyOptional({ description: 'How long the check took, in milliseconds (timed checks)' })
  responseTime?: number;
}

@ApiSchema({ name: 'AppHealthCheck' })
class AppIndicatorView {
  @ApiProperty({ enum: ['up'] })
  status!: 'up';

  @ApiProperty({ description: 'APP_VERSION of this instance' })
  version!: string;

  @ApiProperty({ description: 'RELEASE_COLOR of this instance (blue or green)' })
  color!: string;
}

class LivenessChecks {
  @ApiProperty({ type: AppIndicatorView })
  app!: AppIndicatorView;
}

@ApiSchema({ name: 'Liveness' })
export class LivenessView {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';

  @ApiProperty({ type: LivenessChecks })
  info!: LivenessChecks;

  @ApiProperty({ type: 'object', additionalProperties: false, description: 'Always empty' })
  error!: Record<string, never>;

  @ApiProperty({ type: LivenessChecks })
  details!: LivenessChecks;
}

class ReadinessChecks {
  @ApiPropertyOptional({ type: HealthIndicatorView, description: 'Down once SIGTERM was received' })
  shutdown?: HealthIndicatorView;

  @ApiPropertyOptional({
    type: HealthIndicatorView,
    description: 'A ping on a connection of its own, 1 s at most',
  })
  database?: HealthIndicatorView;

  @ApiPropertyOptional({ type: HealthIndicatorView, description: 'Every migration of the code is applied' })
  migrations?: HealthIndicatorView;
}

@ApiSchema({ name: 'Readiness' })
export class ReadinessView {
  @ApiProperty({ enum: ['ok', 'error'] })
  status!: 'ok' | 'error';

  @ApiProperty({ type: ReadinessChecks, description: 'The checks that are up' })
  info!: ReadinessChecks;

  @ApiProperty({ type: ReadinessChecks, description: 'The checks that are down' })
  error!: ReadinessChecks;

  @ApiProperty({ type: ReadinessChecks, description: 'Every check' })
  details!: ReadinessChecks;
}
