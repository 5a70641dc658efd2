import type { MigrationInterface } from 'typeorm';
import { IdentityAndAudit1795350043026 } from './migrations/1795350043026-IdentityAndAudit';
import { Webhooks1795350154523 } from './migrations/1795350154523-Webhooks';
import { ProductsOrdersIdempotency1795350171963 } from './migrations/1795350171963-ProductsOrdersIdempotency';
import { NormaliseEmails1795400000000 } from './migrations/1795400000000-NormaliseEmails';
import { OutboxTraceContext1795500000000 } from './migrations/1795500000000-OutboxTraceContext';

/**
 * Every migration, oldest first, by class rather than by a file pattern: the service runs as one
 * bundled file (scripts/bundle-service.mjs), where no migrations folder sits beside the code. A new
 * migration is added here; `migration-list.spec.ts` fails until every file of `migrations/` is.
 */
export const MIGRATIONS: ReadonlyArray<new () => MigrationInterface> = [
  IdentityAndAudit1795350043026,
  Webhooks1795350154523,
  ProductsOrdersIdempotency1795350171963,
  NormaliseEmails1795400000000,
  OutboxTraceContext1795500000000,
];
