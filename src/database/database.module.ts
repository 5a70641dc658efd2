import { DynamicModule, Global, Inject, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { APP_LOGGER } from '../core/logger.token';
import { buildDataSourceOptions } from './data-source-options';
import { runMigrations } from './migrator';
import { DatabaseProbe } from './database-probe';
import { TransactionRunner } from './transaction-runner';

@Global()
@Module({})
export class DatabaseModule implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...buildDataSourceOptions(config, logger), autoLoadEntities: true })],
      providers: [TransactionRunner, DatabaseProbe],
      exports: [TransactionRunner, DatabaseProbe],
    };
  }

  /** Migrations on boot (before the server listens) unless MIGRATE_ON_BOOT=false. */
  async onModuleInit(): Promise<void> {
    if (this.config.migrateOnBoot) await runMigrations(this.dataSource, this.logger, this.config.migrations);
  }
}
