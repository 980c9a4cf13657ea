// No `down`: node-pg-migrate runs the reverse of each step, newest first. Export a
// `down` only when a step has no reverse (pgm.sql, or a remove without the old settings).

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function up(pgm) {
  // pgm.createHypertable('metrics', { timeColumn: 'time', chunkInterval: '1 day' });
}
