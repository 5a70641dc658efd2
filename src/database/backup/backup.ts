import { main } from './cli';

/** `npm run db:backup -- --out <file>` (docs/backup.md). */
void main('db:backup', process.argv.slice(2));
