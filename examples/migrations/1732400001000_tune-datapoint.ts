import type { MigrationBuilder } from 'node-pg-migrate';

// Policies changed by remove + add; the removes carry the old values so `down` restores them.
export function up(pgm: MigrationBuilder): void {
  pgm.setChunkTimeInterval('datapoint', { chunkInterval: '1 day', previous: '1 week' });
  pgm.removeRetentionPolicy('datapoint', { dropAfter: '1 year' });
  pgm.addRetentionPolicy('datapoint', { dropAfter: '2 years' });
  pgm.removeCompressionPolicy('datapoint', { after: '1 month' });
  pgm.addCompressionPolicy('datapoint', { after: '7 days' });
}
