import { main } from './cli';

/** `npm run db:restore -- --from <file>` (docs/backup.md). */
void main('db:restore', process.argv.slice(2));
