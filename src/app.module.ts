import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { ProblemFilter } from './common/filters/problem.filter';
import { MalformedBodyGuard } from './common/http/malformed-body.guard';
import { createValidationPipe } from './common/pipes/validation.pipe';
import type { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { CoreModule } from './core/core.module';
import { APP_LOGGER } from './core/logger.token';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { JwtAuthGuard } from './auth/guards/jwt-auth.guard';
import { RolesGuard } from './auth/guards/roles.guard';
import { UsersModule } from './users/users.module';
import { BulwarkThrottlerGuard } from './rate-limit/bulwark-throttler.guard';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { MetricsModule } from './metrics/metrics.module';
import { HealthModule } from './health/health.module';
import { ProductsModule } from './products/products.module';
import { OrdersModule } from './orders/orders.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { BackgroundModule } from './background/background.module';

/**
 * The application. Global filter, interceptors and pipe are providers here (not `app.use*` calls in
 * main.ts), so every test that builds this module gets exactly the production behaviour.
 */
@Module({})
export class AppModule {
  static register(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        CoreModule.register(logger),
        DatabaseModule.forRoot(config, logger),
        // The scheduler of every @Cron job (session purge, webhook retention, idempotency purge).
        ScheduleModule.forRoot(),
        AuditModule,
        RateLimitModule,
        AuthModule,
        UsersModule,
        MetricsModule,
        BackgroundModule,
        HealthModule,
        ProductsModule,
        OrdersModule,
        WebhooksModule,
      ],
      providers: [
        {
          provide: APP_FILTER,
          useFactory: (appLogger: Logger) => new ProblemFilter(appLogger),
          inject: [APP_LOGGER],
        },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        // Global guards run in this order: authentication (deny by default), roles, rate limits
        // (after authentication, so the default limit counts per user).
        { provide: APP_GUARD, useExisting: JwtAuthGuard },
        { provide: APP_GUARD, useExisting: RolesGuard },
        { provide: APP_GUARD, useClass: BulwarkThrottlerGuard },
        // Last: a malformed body is refused once the caller is known to be allowed (401/403/429 first).
        { provide: APP_GUARD, useClass: MalformedBodyGuard },
      ],
    };
  }
}
