import type { MigrationBuilder } from 'node-pg-migrate';
import type {} from 'prism-migrate'; // types of pgm.createHypertable, pgm.addCompressionPolicy, …

// No `down`: node-pg-migrate runs the reverse of each step, newest first. Export a
// `down` only when a step has no reverse (pgm.sql, or a remove without the old settings).
export function up(pgm: MigrationBuilder): void {
  // pgm.createHypertable('metrics', { timeColumn: 'time', chunkInterval: '1 day' });
}
