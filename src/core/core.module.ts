import { DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { Lifecycle } from '../common/lifecycle';
import { APP_LOGGER } from './logger.token';

/** Process-wide singletons every module may inject: the pino logger and the shutdown state. */
@Global()
@Module({})
export class CoreModule {
  static register(logger: Logger): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ provide: APP_LOGGER, useValue: logger }, Lifecycle],
      exports: [APP_LOGGER, Lifecycle],
    };
  }
}
