/** addForeignKey / dropForeignKey: exact SQL, their reverses, quoting, and the apply-time check. */
import { expect } from 'chai';
import { UsageError } from '../../../lib/errors.js';
import { addForeignKey, dropForeignKey } from '../../../lib/operations/sql.js';

const KEY = {
  name: 'reading_device_id_fkey',
  column: 'device_id',
  references: { table: 'device', column: 'id' },
  onDelete: 'cascade',
} as const;

const ALTER_ADD =
  'ALTER TABLE "reading" ADD CONSTRAINT "reading_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "device" ("id") ON DELETE CASCADE ON UPDATE NO ACTION;';
const ALTER_DROP = 'ALTER TABLE "reading" DROP CONSTRAINT "reading_device_id_fkey";';

describe('operations/foreign keys', () => {
  it('adds the key after a check of what the TimescaleDB there allows', () => {
    const [check, alter] = addForeignKey('reading', KEY) as string[];
    expect(alter).to.equal(ALTER_ADD);
    expect(check).to.equal(
      [
        'DO $prism$',
        'DECLARE',
        '  ts_version int[];',
        '  ts_version_text text;',
        'BEGIN',
        "  SELECT pg_catalog.string_to_array(pg_catalog.split_part(e.extversion, '-', 1), '.')::int[], e.extversion",
        "    INTO ts_version, ts_version_text FROM pg_catalog.pg_extension e WHERE e.extname = 'timescaledb';",
        '  IF ts_version IS NULL THEN RETURN; END IF;',
        '  IF ts_version < ARRAY[2, 16] AND EXISTS (SELECT 1 FROM timescaledb_information.hypertables h',
        '      JOIN pg_catalog.pg_class c ON c.relname = h.hypertable_name',
        '      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = h.hypertable_schema',
        `      WHERE c.oid = '"device"'::pg_catalog.regclass) THEN`,
        "    RAISE EXCEPTION USING MESSAGE = 'prism: foreign key reading_device_id_fkey of reading references device, a hypertable: TimescaleDB ' || ts_version_text || ' supports foreign keys to hypertables from 2.16 on',",
        "      HINT = 'upgrade TimescaleDB to 2.16 or later, or reference a plain table';",
        '  END IF;',
        '  IF ts_version < ARRAY[2, 20] AND EXISTS (SELECT 1 FROM timescaledb_information.hypertables h',
        '      JOIN pg_catalog.pg_class c ON c.relname = h.hypertable_name',
        '      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = h.hypertable_schema',
        `      WHERE c.oid = '"reading"'::pg_catalog.regclass AND h.compression_enabled) THEN`,
        "    RAISE EXCEPTION USING MESSAGE = 'prism: cannot add foreign key reading_device_id_fkey of reading: it is a hypertable with compression enabled, and TimescaleDB ' || ts_version_text || ' adds foreign keys there from 2.20 on',",
        "      HINT = 'upgrade TimescaleDB to 2.20 or later, or disable compression, add the key and enable compression again';",
        '  END IF;',
        'END',
        '$prism$;',
      ].join('\n'),
    );
  });

  it('drops the key; each operation reverses the other', () => {
    expect(dropForeignKey('reading', KEY)).to.equal(ALTER_DROP);
    expect(addForeignKey.reverse('reading', KEY)).to.equal(ALTER_DROP);
    expect((dropForeignKey.reverse('reading', KEY) as string[])[1]).to.equal(ALTER_ADD);
  });

  it('quotes every name, a " inside one included, and qualifies a schema', () => {
    const [check, alter] = addForeignKey(
      { schema: 'app', name: 'we"ird' },
      {
        name: 'k"ey',
        column: 'c"ol',
        references: { table: { schema: 'app', name: 'ta"rget' }, column: 'i"d' },
        onUpdate: 'set null',
      },
    ) as string[];
    expect(alter).to.equal(
      'ALTER TABLE "app"."we""ird" ADD CONSTRAINT "k""ey" FOREIGN KEY ("c""ol") REFERENCES "app"."ta""rget" ("i""d") ON DELETE NO ACTION ON UPDATE SET NULL;',
    );
    expect(check).to.include(`WHERE c.oid = '"app"."ta""rget"'::pg_catalog.regclass) THEN`);
    expect(dropForeignKey({ schema: 'app', name: 'we"ird' }, { ...KEY, name: 'k"ey' })).to.equal(
      'ALTER TABLE "app"."we""ird" DROP CONSTRAINT "k""ey";',
    );
  });

  it('refuses an action it does not know, naming the ones it does', () => {
    expect(() => addForeignKey('reading', { ...KEY, onDelete: 'explode' as never })).to.throw(
      UsageError,
      'unknown on delete action "explode" for a foreign key',
    );
  });
});
