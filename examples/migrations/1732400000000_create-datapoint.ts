import type { MigrationBuilder } from 'node-pg-migrate';

// The seed's DataPoint model as a hypertable: weekly chunks, compression after a month,
// rows dropped after a year. No `down`: it is inferred from each operation's reverse.
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
  pgm.createHypertable('datapoint', { timeColumn: 'timestamp', chunkInterval: '1 week' });
  pgm.createIndex('datapoint', ['source', 'timestamp'], { name: 'ix_datapoint_source_timestamp' });
  pgm.enableCompression('datapoint', { segmentBy: ['source'], orderBy: ['timestamp DESC'] });
  pgm.addCompressionPolicy('datapoint', { after: '1 month' });
  pgm.addRetentionPolicy('datapoint', { dropAfter: '1 year' });
}
