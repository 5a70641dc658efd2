import type { Logger } from 'pino';

/**
 * Runs one scheduled clean-up: logs what it deleted (when anything), and a failure as a warning
 * rather than an error to crash on — the next run makes up for a missed one, the rows only grow older.
 * Safe when several replicas run the same clean-up at once (plain DELETEs).
 */
export async function housekeeping<T extends Record<string, number>>(
  logger: Logger,
  what: string,
  none: T,
  work: () => Promise<T>,
): Promise<T> {
  try {
    const deleted = await work();
    if (Object.values(deleted).some((n) => n > 0)) logger.info({ deleted }, `${what}: purged`);
    return deleted;
  } catch (error) {
    logger.warn({ err: error }, `${what}: purge failed`);
    return none;
  }
}
