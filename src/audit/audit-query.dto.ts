import { IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '../common/pagination/cursor';

/** `GET /v1/audit?entity=&entityId=&actorId=&action=&from=&to=` (CONTRACT "Audit"). */
export class AuditQueryDto extends PageQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(64)
  entity?: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  entityId?: string;

  @IsOptional()
  @IsUUID()
  actorId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  action?: string;

  /** Inclusive lower bound of `at` (ISO 8601). */
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  /** Exclusive upper bound of `at` (ISO 8601). */
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}
