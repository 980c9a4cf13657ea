import type { MigrationBuilder } from 'node-pg-migrate';
import {
  addCompressionPolicy,
  addRetentionPolicy,
  createHypertable,
  enableCompression,
} from 'prism-migrate/operations';

// The seed's DataPoint model as a hypertable: weekly chunks, compression after a month,
// rows dropped after a year.
export function up(pgm: MigrationBuilder): void {
  pgm.createTable('datapoint', {
    id: { type: 'uuid', notNull: true },
    timestamp: { type: 'timestamptz', notNull: true },
    source: { type: 'varchar(100)', notNull: true },
    value: { type: 'double precision', notNull: true },
    metadata: { type: 'jsonb' },
  });
  // A hypertable's primary key must include the time column.
  pgm.addConstraint('datapoint', 'datapoint_pkey', { primaryKey: ['id', 'timestamp'] });
  createHypertable(pgm, 'datapoint', { timeColumn: 'timestamp', chunkInterval: '1 week' });
  pgm.createIndex('datapoint', ['source', 'timestamp'], { name: 'ix_datapoint_source_timestamp' });
  enableCompression(pgm, 'datapoint', { segmentBy: ['source'], orderBy: ['timestamp DESC'] });
  addCompressionPolicy(pgm, 'datapoint', { after: '1 month' });
  addRetentionPolicy(pgm, 'datapoint', { dropAfter: '1 year' });
}

// node-pg-migrate cannot reverse SQL by itself: each operation's `.reverse` takes the same
// arguments. Dropping the table takes its chunks, compression and policies with it.
export function down(pgm: MigrationBuilder): void {
  pgm.dropTable('datapoint');
}
