import type { MigrationBuilder } from 'node-pg-migrate';
import { createHypertable } from 'prism-migrate/operations';

// node-pg-migrate reverses its own operations (pgm.createTable, …) but not ours: they run
// SQL through pgm.sql, so `down` undoes them, newest step first (each operation has a
// `.reverse` taking the same arguments).
export function up(pgm: MigrationBuilder): void {
  // pgm.createTable('metrics', { time: { type: 'timestamptz', notNull: true }, value: 'float8' });
  // createHypertable(pgm, 'metrics', { timeColumn: 'time', chunkInterval: '1 day' });
}

export function down(pgm: MigrationBuilder): void {
  // createHypertable.reverse(pgm, 'metrics', { timeColumn: 'time', chunkInterval: '1 day' });
  // pgm.dropTable('metrics');
}
