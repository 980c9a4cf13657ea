/** The columnstore API of TimescaleDB 2.18+ beside the compression API, chosen when applied. */
import { expect } from 'chai';
import {
  addCompressionPolicy,
  addRetentionPolicy,
  disableCompression,
  enableCompression,
  removeCompressionPolicy,
} from '../../../lib/operations/sql.js';
import { UsageError } from '../../../lib/errors.js';

const sql = (s: string | string[]) => (Array.isArray(s) ? s.join('\n') : s);

/** The lines between `IF ts_version >= ARRAY[2, 18] THEN` and its ELSE, and after. */
function branches(out: string): { modern: string; legacy: string } {
  const start = out.indexOf('IF ts_version >= ARRAY[2, 18] THEN');
  expect(start, 'a 2.18 branch').to.be.greaterThan(-1);
  const rest = out.slice(start);
  const elseAt = rest.search(/\n\s*ELSE\n/);
  const endAt = rest.search(/\n\s*END IF;\n\s*END\n/);
  return { modern: rest.slice(0, elseAt), legacy: rest.slice(elseAt, endAt) };
}

describe('operations: columnstore (2.18+) and compression names', () => {
  it('enableCompression sets enable_columnstore/segmentby/orderby on 2.18+, compress_* before', () => {
    const { modern, legacy } = branches(
      sql(enableCompression('m', { segmentBy: ['device'], orderBy: ['time DESC'] })),
    );
    expect(modern).to.include(
      `ALTER TABLE "m" SET (timescaledb.enable_columnstore, timescaledb.segmentby = ''"device"'', timescaledb.orderby = ''"time" DESC'')`,
    );
    expect(modern).to.not.include('compress_segmentby');
    expect(legacy).to.include(
      `ALTER TABLE "m" SET (timescaledb.compress, timescaledb.compress_segmentby = ''"device"'', timescaledb.compress_orderby = ''"time" DESC'')`,
    );
    expect(legacy).to.not.include('enable_columnstore');
  });

  it('clears settings given as empty lists under the names of each branch', () => {
    const { modern, legacy } = branches(sql(enableCompression('m', { segmentBy: [] })));
    expect(modern).to.include(`RESET (timescaledb.segmentby)`);
    expect(modern).to.include(`timescaledb.segmentby = ''''`);
    expect(legacy).to.include(`RESET (timescaledb.compress_segmentby)`);
  });

  it('sets compress_chunk_time_interval in both branches; null clears it with 0', () => {
    const { modern, legacy } = branches(sql(enableCompression('m', { chunkInterval: '2 days' })));
    for (const b of [modern, legacy]) {
      expect(b).to.include(`timescaledb.compress_chunk_time_interval = ''2 days''`);
    }
    expect(sql(enableCompression('m', { chunkInterval: null }))).to.include(
      `timescaledb.compress_chunk_time_interval = ''0''`,
    );
    expect(sql(enableCompression('m', {}))).to.not.include('compress_chunk_time_interval');
  });

  it('refuses a compression chunk interval in months or outside the grammar', () => {
    expect(() => enableCompression('m', { chunkInterval: '1 month' })).to.throw(
      UsageError,
      /not a fixed duration/,
    );
    expect(() => enableCompression('m', { chunkInterval: "1 day'; DROP" })).to.throw(UsageError);
  });

  it('sets sparse indexes on 2.22+ and refuses them before, in every mode', () => {
    const out = sql(
      enableCompression('m', {
        sparseIndexes: [
          { column: 'v', type: 'minmax' },
          { column: 'w"x', type: 'bloom' },
        ],
      }),
    );
    expect(out).to.include(`timescaledb.sparse_index = ''minmax("v"), bloom("w""x")''`);
    const refusal = out.indexOf('IF ts_version < ARRAY[2, 22] THEN');
    expect(refusal).to.be.greaterThan(-1);
    expect(out.slice(refusal)).to.match(
      /^IF ts_version < ARRAY\[2, 22\] THEN\n\s+RAISE EXCEPTION USING MESSAGE = 'prism: sparse indexes on m need TimescaleDB 2.22 or later; this server has ' \|\| ts_version_text/,
    );
    expect(refusal).to.be.lessThan(out.indexOf('ALTER TABLE'));
    expect(() =>
      enableCompression('m', { sparseIndexes: [{ column: 'v', type: 'hash' as 'bloom' }] }),
    ).to.throw(UsageError, /sparse index type/);
  });

  it('clears sparse indexes with RESET only where the server has them', () => {
    const out = sql(enableCompression('m', { sparseIndexes: [] }));
    expect(out).to.not.include('IF ts_version < ARRAY[2, 22]');
    const { modern, legacy } = branches(out);
    expect(modern).to.match(
      /IF ts_version >= ARRAY\[2, 22\] THEN\n\s+EXECUTE 'ALTER TABLE "m" RESET \(timescaledb.sparse_index\)';/,
    );
    expect(legacy).to.not.include('sparse_index');
  });

  it('disableCompression converts compressed chunks to rowstore with CALL on 2.18+', () => {
    const out = sql(disableCompression('m'));
    const { modern, legacy } = branches(out);
    expect(modern).to.include(
      `EXECUTE pg_catalog.format('CALL %I.convert_to_rowstore(%L::pg_catalog.regclass, if_columnstore => true)', ts_schema, chunk);`,
    );
    expect(modern).to.include('c.is_compressed LOOP');
    expect(modern).to.include('SET (timescaledb.enable_columnstore = false)');
    expect(legacy).to.include('decompress_chunk(c, true)');
    expect(legacy).to.include('SET (timescaledb.compress = false)');
    // TimescaleDB keeps the merge interval when compression goes off: cleared first.
    expect(out.indexOf(`compress_chunk_time_interval = ''0''`)).to.be.lessThan(
      out.indexOf('IF ts_version >= ARRAY[2, 18]'),
    );
  });

  it('adds and removes the policy with CALL add/remove_columnstore_policy on 2.18+', () => {
    const add = branches(sql(addCompressionPolicy('m', { after: '7 days' })));
    expect(add.modern).to.include(
      `EXECUTE pg_catalog.format('CALL %1$I.add_columnstore_policy(''"m"''::pg_catalog.regclass, after => INTERVAL ''7 days'')', ts_schema);`,
    );
    expect(add.legacy).to.include(
      `SELECT %1$I.add_compression_policy(''"m"''::pg_catalog.regclass, compress_after => INTERVAL ''7 days'')`,
    );
    const remove = branches(sql(removeCompressionPolicy('m', { ifExists: true })));
    expect(remove.modern).to.include(
      `CALL %1$I.remove_columnstore_policy(''"m"''::pg_catalog.regclass, if_exists => true)`,
    );
    expect(remove.legacy).to.include(
      `SELECT %1$I.remove_compression_policy(''"m"''::pg_catalog.regclass, if_exists => true)`,
    );
    expect(sql(addCompressionPolicy('m', { after: 1000 }))).to.include('after => 1000');
  });

  it('leaves retention policies on their one API', () => {
    const out = sql(addRetentionPolicy('m', { dropAfter: '30 days' }));
    expect(out).to.not.include('ARRAY[2, 18]');
    expect(out).to.not.include('CALL');
  });

  it('under off emits only a comment', () => {
    expect(
      sql(
        enableCompression('m', {
          sparseIndexes: [{ column: 'v', type: 'minmax' }],
          timescale: 'off',
        }),
      ),
    ).to.match(/^-- prism: timescale mode is off/);
  });
});
