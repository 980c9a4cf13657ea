/** The plpgsql that keeps privileges, owner and comment of a relation dropped and made again. */
import { expect } from 'chai';
import {
  accessOf,
  keepAccess,
  KEPT_ACCESS_SETTING,
  restoreAccess,
  takeKeptAccess,
} from '../../../lib/operations/access.js';
import { STAND_IN_COMMENT } from '../../../lib/operations/aggregates/definition.js';
import {
  createContinuousAggregate,
  dropContinuousAggregate,
  revertHypertable,
  setAggregateRealtime,
} from '../../../lib/operations/sql.js';

const sql = (s: string | string[]) => (Array.isArray(s) ? s.join('\n') : s);

/** Where each of `parts` first occurs in `text`, failing for one that does not. */
function positions(text: string, parts: readonly string[]): number[] {
  return parts.map((part) => {
    const at = text.indexOf(part);
    expect(at, part).to.be.greaterThan(-1);
    return at;
  });
}

function inOrder(text: string, parts: readonly string[]): void {
  const at = positions(text, parts);
  expect([...at].sort((a, b) => a - b)).to.deep.equal(at);
}

describe('operations: access kept across a drop and a create', () => {
  it('reads the owner, the privileges (the implicit ones spelled out), those of columns and the comment', () => {
    expect(accessOf('agg_reg')).to.equal(
      [
        "(SELECT pg_catalog.jsonb_build_object('owner', k.relowner,",
        "    'acl', coalesce(k.relacl, pg_catalog.acldefault('r', k.relowner))::text,",
        "    'columns', coalesce((SELECT pg_catalog.jsonb_object_agg(a.attname, a.attacl::text) FROM pg_catalog.pg_attribute a",
        "      WHERE a.attrelid = k.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL), '{}'),",
        "    'comment', pg_catalog.obj_description(k.oid, 'pg_class'))",
        '  FROM pg_catalog.pg_class k WHERE k.oid = agg_reg)',
      ].join('\n'),
    );
  });

  describe('restoreAccess', () => {
    const out = restoreAccess({
      relation: 'dep_names[i]',
      saved: 'dep_access[i]',
      alterKind: "'VIEW'",
      commentKind: "'VIEW'",
      exceptComment: "it's ours",
    }).join('\n');

    it('gives the relation back to its owner, then grants, then comments', () => {
      expect(out.startsWith('IF dep_access[i] IS NOT NULL THEN\n')).to.equal(true);
      inOrder(out, [
        "EXECUTE pg_catalog.format('ALTER %s %s OWNER TO %I', 'VIEW', dep_names[i], access_owner);",
        'FOR access_change IN',
        "EXECUTE pg_catalog.format('COMMENT ON %s %s IS %L', 'VIEW', dep_names[i], (dep_access[i] ->> 'comment'));",
      ]);
    });

    it('quotes roles and columns through format, and grants to PUBLIC by keyword', () => {
      expect(out).to.include(
        "CASE WHEN access_change.col IS NULL THEN '' ELSE pg_catalog.format(' (%I)', access_change.col) END,",
      );
      expect(out).to.include(
        "CASE access_change.grantee WHEN 0 THEN 'PUBLIC' ELSE pg_catalog.format('%I', (SELECT o.rolname FROM pg_catalog.pg_roles o WHERE o.oid = access_change.grantee)) END,",
      );
      expect(out).to.include(
        "CASE WHEN access_change.is_grant THEN 'GRANT %s%s ON %s TO %s%s' ELSE 'REVOKE %s%s ON %s FROM %s%s' END,",
      );
    });

    it('revokes what the new relation has beyond the old one before granting what it lacks', () => {
      inOrder(out, [
        'SELECT false AS is_grant, * FROM (SELECT * FROM now EXCEPT SELECT * FROM was) r',
        'SELECT true, * FROM (SELECT * FROM was EXCEPT SELECT * FROM now) g',
        'ORDER BY 1',
      ]);
      // Columns the new relation lacks are left out.
      expect(out).to.include('WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a');
    });

    it('says why when the owner cannot be set back', () => {
      expect(out).to.include('EXCEPTION WHEN insufficient_privilege THEN');
      expect(out).to.include(
        "RAISE EXCEPTION USING MESSAGE = pg_catalog.format('prism: cannot make %I the owner of %s again (this step made it anew): %s', access_owner, dep_names[i], SQLERRM),",
      );
    });

    it('does not revoke from an owner who is not the old one its own privileges', () => {
      expect(out).to.include(
        "  WHERE r.grantee IS DISTINCT FROM (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = access_reg AND c.relowner <> (dep_access[i] ->> 'owner')::pg_catalog.oid)",
      );
    });

    it('gives any owner back unless told the relation runs jobs as its owner', () => {
      expect(out).not.to.include('RAISE WARNING');
      const aggregate = restoreAccess({
        relation: 'r',
        saved: 's',
        alterKind: "'MATERIALIZED VIEW'",
        commentKind: "'VIEW'",
        policyJobsRunAsOwner: 'is_continuous',
      }).join('\n');
      inOrder(aggregate, [
        'IF NOT access_owner_logs_in AND is_continuous THEN',
        'RAISE WARNING USING MESSAGE = ',
        "HINT = pg_catalog.format('to hand it back: ALTER ROLE %I LOGIN, then ALTER MATERIALIZED VIEW %s OWNER TO %I', access_owner, r, access_owner);",
        'ELSE',
        "EXECUTE pg_catalog.format('ALTER %s %s OWNER TO %I', 'MATERIALIZED VIEW', r, access_owner);",
        'FOR access_change IN',
      ]);
    });

    it('leaves out a comment it must not put back, quoted', () => {
      expect(out).to.include(
        "AND (dep_access[i] ->> 'comment') IS NOT NULL AND (dep_access[i] ->> 'comment') <> 'it''s ours' THEN",
      );
      const any = restoreAccess({
        relation: 'r',
        saved: 's',
        alterKind: "'TABLE'",
        commentKind: "'TABLE'",
      }).join('\n');
      expect(any).to.include("AND (s ->> 'comment') IS NOT NULL THEN");
    });
  });

  it('hands the access from a drop to a create in a transaction-local setting', () => {
    const setting = `pg_catalog.current_setting('${KEPT_ACCESS_SETTING}', true)`;
    expect(keepAccess('agg_reg', 'name')).to.equal(
      `PERFORM pg_catalog.set_config('${KEPT_ACCESS_SETTING}', (coalesce(nullif(${setting}, ''), '{}')::jsonb || pg_catalog.jsonb_build_object(name, ${accessOf('agg_reg')}))::text, true);`,
    );
    expect(takeKeptAccess('name', 'kept')).to.deep.equal([
      `kept := coalesce(nullif(${setting}, ''), '{}')::jsonb -> name;`,
      'IF kept IS NOT NULL THEN',
      `  PERFORM pg_catalog.set_config('${KEPT_ACCESS_SETTING}', (coalesce(nullif(${setting}, ''), '{}')::jsonb - name)::text, true);`,
      'END IF;',
    ]);
  });

  describe('in the operations', () => {
    const HOURLY = {
      source: 'reading',
      timeColumn: 'recorded_at',
      bucket: '1 hour',
      groupBy: ['sensor'],
      columns: { samples: 'count(*)' },
    };

    it('dropping an aggregate notes its access before the DROP', () => {
      const drop = sql(dropContinuousAggregate('reading_hourly'));
      inOrder(drop, [
        `PERFORM pg_catalog.set_config('${KEPT_ACCESS_SETTING}'`,
        `EXECUTE 'DROP MATERIALIZED VIEW "reading_hourly"';`,
      ]);
      expect(drop).to.include(`EXECUTE 'DROP VIEW "reading_hourly"';`);
    });

    it('creating one puts the noted access on it, in every form, not the stand-in comment', () => {
      const create = sql(createContinuousAggregate('reading_hourly', HOURLY));
      const [made, standIn, restored] = positions(create, [
        'WITH (timescaledb.continuous',
        `CREATE MATERIALIZED VIEW "reading_hourly" AS SELECT`,
        "kept_access := coalesce(nullif(pg_catalog.current_setting('prism.kept_access', true), ''), '{}')::jsonb -> pg_catalog.format('%I.%I', agg_schema, agg_name);",
      ]);
      expect(restored).to.be.greaterThan(made as number);
      expect(restored).to.be.greaterThan(standIn as number);
      expect(create).to.include(
        "EXECUTE pg_catalog.format('ALTER %s %s OWNER TO %I', CASE WHEN is_continuous OR agg_kind = 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END, pg_catalog.format('%I.%I', agg_schema, agg_name), access_owner);",
      );
      expect(create).to.include(`<> '${STAND_IN_COMMENT}' THEN`);
      // A continuous aggregate (not a stand-in) is not given back to an owner who cannot log in.
      expect(create).to.include('IF NOT access_owner_logs_in AND is_continuous THEN');
      // Nothing returns before it.
      expect(create).not.to.match(/\bRETURN;/);
    });

    it('a realtime swap keeps the access of the aggregate and of the views built on it', () => {
      const on = sql(setAggregateRealtime('v', { realtime: true, previous: false }));
      inOrder(on, [
        `pg_catalog.array_agg(${accessOf('c.oid')} ORDER BY x.depth, c.oid)`,
        `agg_access := ${accessOf('agg_reg')};`,
        `EXECUTE 'DROP MATERIALIZED VIEW "v"';`,
        `EXECUTE 'CREATE VIEW "v" AS ' || definition;`,
        `EXECUTE pg_catalog.format('ALTER %s %s OWNER TO %I', 'VIEW', '"v"', access_owner);`,
        "EXECUTE pg_catalog.format('ALTER %s %s OWNER TO %I', CASE dep_kinds[i] WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END, dep_names[i], access_owner);",
      ]);
      // Stand-ins run no jobs: any owner comes back.
      expect(on).not.to.include('RAISE WARNING');
    });

    it('revertHypertable gives the copy its owner before the serial sequences move to it', () => {
      const out = sql(revertHypertable('m'));
      inOrder(out, [
        `table_access := ${accessOf('target')};`,
        "EXECUTE pg_catalog.format('CREATE TABLE %s (LIKE %s INCLUDING ALL EXCLUDING INDEXES)', tmp_qualified, qualified);",
        "EXECUTE pg_catalog.format('ALTER %s %s OWNER TO %I', 'TABLE', tmp_qualified, access_owner);",
        "EXECUTE pg_catalog.format('COMMENT ON %s %s IS %L', 'TABLE', tmp_qualified, (table_access ->> 'comment'));",
        'FOREACH stmt IN ARRAY coalesce(owned_sequences',
        "EXECUTE pg_catalog.format('DROP TABLE %s', qualified);",
      ]);
      expect(out).not.to.include('RAISE WARNING');
    });
  });
});
