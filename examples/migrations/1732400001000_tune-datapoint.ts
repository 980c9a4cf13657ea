import type { MigrationBuilder } from 'node-pg-migrate';
import {
  addCompressionPolicy,
  addRetentionPolicy,
  removeCompressionPolicy,
  removeRetentionPolicy,
  setChunkTimeInterval,
} from 'prism-migrate/operations';

// Policies changed by remove + add; the removes carry the old values so `down` restores them.
export function up(pgm: MigrationBuilder): void {
  setChunkTimeInterval(pgm, 'datapoint', { chunkInterval: '1 day', previous: '1 week' });
  removeRetentionPolicy(pgm, 'datapoint', { dropAfter: '1 year' });
  addRetentionPolicy(pgm, 'datapoint', { dropAfter: '2 years' });
  removeCompressionPolicy(pgm, 'datapoint', { after: '1 month' });
  addCompressionPolicy(pgm, 'datapoint', { after: '7 days' });
}

export function down(pgm: MigrationBuilder): void {
  addCompressionPolicy.reverse(pgm, 'datapoint', { after: '7 days' });
  removeCompressionPolicy.reverse(pgm, 'datapoint', { after: '1 month' });
  addRetentionPolicy.reverse(pgm, 'datapoint', { dropAfter: '2 years' });
  removeRetentionPolicy.reverse(pgm, 'datapoint', { dropAfter: '1 year' });
  setChunkTimeInterval.reverse(pgm, 'datapoint', { chunkInterval: '1 day', previous: '1 week' });
}
