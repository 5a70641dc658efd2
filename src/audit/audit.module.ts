import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditController } from './audit.controller';
import { AuditLogEntry } from './audit-log.entity';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { AuditWriter } from './audit.writer';

/** The append-only audit trail: `AuditWriter` for every feature module, `GET /v1/audit` for admins. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditLogEntry])],
  controllers: [AuditController],
  providers: [AuditRepository, AuditWriter, AuditService],
  exports: [AuditWriter],
})
export class AuditModule {}
