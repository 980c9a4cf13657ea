/**
 * What users set on a relation that a step drops and makes again (a stand-in swapped
 * between view and materialized view, the views built on it, an aggregate made anew or
 * made a continuous aggregate, a hypertable copied back into a plain table): privileges
 * on it and on its columns, its owner, its comment. Without them a reporting role granted
 * SELECT gets "permission denied" after the migration.
 *
 * The access is read into a jsonb value before the drop and applied to the new relation
 * after it, in the same transaction: `{owner: oid, acl: aclitem[] as text, columns:
 * {name: aclitem[] as text}, comment}`. Applying it changes the owner back, then revokes
 * what the new relation has and the old one had not (default privileges) and grants what
 * the old one had; a privilege is granted again by the owner, whoever granted it before.
 * Column privileges of columns the new relation lacks go with them.
 *
 * A continuous aggregate is not given back to an owner who cannot log in (a NOLOGIN
 * role): TimescaleDB runs its policy jobs as its owner and refuses a policy whose owner
 * cannot log in, so the policies the same migration adds would fail. It stays owned by
 * the role running the migration, with a WARNING saying so; the old owner keeps its
 * privileges, granted to it.
 *
 * A drop and a create in separate statements (an aggregate made anew) hand it over in a
 * transaction-local setting, keyed by the relation's qualified name; without a
 * transaction around both, it is gone before the create.
 */
import { quoteLiteral } from '../sql/quote.js';

/** jsonb: relation name (`schema.name`, quoted as needed) → its access, kept for its remake. */
export const KEPT_ACCESS_SETTING = 'prism.kept_access';

/** SQL: the access of the relation `reg` (an oid or regclass expression), as jsonb. */
export function accessOf(reg: string): string {
  return [
    "(SELECT pg_catalog.jsonb_build_object('owner', k.relowner,",
    "    'acl', coalesce(k.relacl, pg_catalog.acldefault('r', k.relowner))::text,",
    "    'columns', coalesce((SELECT pg_catalog.jsonb_object_agg(a.attname, a.attacl::text) FROM pg_catalog.pg_attribute a",
    "      WHERE a.attrelid = k.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL), '{}'),",
    "    'comment', pg_catalog.obj_description(k.oid, 'pg_class'))",
    `  FROM pg_catalog.pg_class k WHERE k.oid = ${reg})`,
  ].join('\n');
}

/** DECLARE lines `restoreAccess` needs. */
export const ACCESS_DECLARE = Object.freeze([
  'access_reg pg_catalog.regclass;',
  'access_owner text;',
  'access_owner_logs_in boolean;',
  'access_made_by text;',
  'access_change record;',
]);

export interface RestoreAccess {
  /** plpgsql text: the new relation, qualified and quoted (as `format('%I.%I')` gives it). */
  readonly relation: string;
  /** plpgsql jsonb: what `accessOf` read from the old one; NULL does nothing. */
  readonly saved: string;
  /** plpgsql text: the ALTER that changes its owner: VIEW, MATERIALIZED VIEW or TABLE. */
  readonly alterKind: string;
  /** plpgsql text: the object type COMMENT ON takes for it. */
  readonly commentKind: string;
  /** A comment never put back (what marks the relation replaced as made by this tool). */
  readonly exceptComment?: string | undefined;
  /**
   * plpgsql boolean: the relation is a continuous aggregate, whose policy jobs TimescaleDB
   * runs as its owner; an owner who cannot log in is then not put back (see above).
   */
  readonly policyJobsRunAsOwner?: string | undefined;
}

/** The privileges `saved` (jsonb) holds, then those of the relation `access_reg` now. */
const GRANT_CHANGES = (saved: string) =>
  [
    'WITH was AS (',
    '  SELECT NULL::text AS col, e.grantee, e.privilege_type, e.is_grantable',
    `    FROM pg_catalog.aclexplode((${saved} ->> 'acl')::pg_catalog.aclitem[]) e`,
    '  UNION',
    '  SELECT s.key, e.grantee, e.privilege_type, e.is_grantable',
    `    FROM pg_catalog.jsonb_each_text(${saved} -> 'columns') s`,
    '    CROSS JOIN LATERAL pg_catalog.aclexplode(s.value::pg_catalog.aclitem[]) e',
    // A column the new relation lacks keeps nothing.
    '    WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = access_reg',
    '      AND a.attname = s.key AND a.attnum > 0 AND NOT a.attisdropped)',
    '), now AS (',
    '  SELECT NULL::text AS col, e.grantee, e.privilege_type, e.is_grantable FROM pg_catalog.pg_class c',
    "    CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) e",
    '    WHERE c.oid = access_reg',
    '  UNION',
    '  SELECT a.attname::text, e.grantee, e.privilege_type, e.is_grantable FROM pg_catalog.pg_attribute a',
    '    CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) e',
    '    WHERE a.attrelid = access_reg AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL',
    ')',
    // Revokes first: a grant option that changed is revoked with its privilege, then granted.
    // Not the privileges of an owner other than the old one (an owner not put back).
    'SELECT false AS is_grant, * FROM (SELECT * FROM now EXCEPT SELECT * FROM was) r',
    `  WHERE r.grantee IS DISTINCT FROM (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = access_reg AND c.relowner <> (${saved} ->> 'owner')::pg_catalog.oid)`,
    'UNION ALL',
    'SELECT true, * FROM (SELECT * FROM was EXCEPT SELECT * FROM now) g',
    'ORDER BY 1',
  ].map((l) => `  ${l}`);

/**
 * plpgsql: applies the access `saved` to the new relation (see the module comment). The
 * owner is changed back first, so that the privileges are granted by it.
 */
export function restoreAccess(r: RestoreAccess): string[] {
  const comment = `(${r.saved} ->> 'comment')`;
  const changeOwner = [
    'BEGIN',
    `  EXECUTE pg_catalog.format('ALTER %s %s OWNER TO %I', ${r.alterKind}, ${r.relation}, access_owner);`,
    'EXCEPTION WHEN insufficient_privilege THEN',
    `  RAISE EXCEPTION USING MESSAGE = pg_catalog.format('prism: cannot make %I the owner of %s again (this step made it anew): %s', access_owner, ${r.relation}, SQLERRM),`,
    "    HINT = 'run it as a superuser, or as a role that may SET ROLE to that owner (which needs CREATE on the schema)';",
    'END;',
  ];
  return [
    `IF ${r.saved} IS NOT NULL THEN`,
    `  access_reg := (${r.relation})::pg_catalog.regclass;`,
    `  SELECT o.rolname, o.rolcanlogin INTO access_owner, access_owner_logs_in FROM pg_catalog.pg_roles o WHERE o.oid = (${r.saved} ->> 'owner')::pg_catalog.oid;`,
    '  SELECT o.rolname INTO access_made_by FROM pg_catalog.pg_class c',
    '    JOIN pg_catalog.pg_roles o ON o.oid = c.relowner WHERE c.oid = access_reg;',
    '  IF access_owner IS NOT NULL AND access_owner IS DISTINCT FROM access_made_by THEN',
    ...(r.policyJobsRunAsOwner === undefined
      ? changeOwner.map((l) => `    ${l}`)
      : [
          `    IF NOT access_owner_logs_in AND ${r.policyJobsRunAsOwner} THEN`,
          `      RAISE WARNING USING MESSAGE = pg_catalog.format('prism: continuous aggregate %s, made again, stays owned by %I, not by %I as before: TimescaleDB runs an aggregate''s policy jobs as its owner, who must be able to log in, and %I cannot (NOLOGIN); its privileges are kept', ${r.relation}, access_made_by, access_owner, access_owner),`,
          `        HINT = pg_catalog.format('to hand it back: ALTER ROLE %I LOGIN, then ALTER MATERIALIZED VIEW %s OWNER TO %I', access_owner, ${r.relation}, access_owner);`,
          '    ELSE',
          ...changeOwner.map((l) => `      ${l}`),
          '    END IF;',
        ]),
    '  END IF;',
    '  FOR access_change IN',
    ...GRANT_CHANGES(r.saved).map((l) => `  ${l}`),
    '  LOOP',
    "    EXECUTE pg_catalog.format(CASE WHEN access_change.is_grant THEN 'GRANT %s%s ON %s TO %s%s' ELSE 'REVOKE %s%s ON %s FROM %s%s' END,",
    '      access_change.privilege_type,',
    "      CASE WHEN access_change.col IS NULL THEN '' ELSE pg_catalog.format(' (%I)', access_change.col) END,",
    `      ${r.relation},`,
    "      CASE access_change.grantee WHEN 0 THEN 'PUBLIC' ELSE pg_catalog.format('%I', (SELECT o.rolname FROM pg_catalog.pg_roles o WHERE o.oid = access_change.grantee)) END,",
    "      CASE WHEN access_change.is_grant AND access_change.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);",
    '  END LOOP;',
    `  IF ${comment} IS DISTINCT FROM pg_catalog.obj_description(access_reg, 'pg_class')`,
    `    AND ${comment} IS NOT NULL${r.exceptComment === undefined ? '' : ` AND ${comment} <> ${quoteLiteral(r.exceptComment)}`} THEN`,
    `    EXECUTE pg_catalog.format('COMMENT ON %s %s IS %L', ${r.commentKind}, ${r.relation}, ${comment});`,
    '  END IF;',
    'END IF;',
  ];
}

const KEPT = `coalesce(nullif(pg_catalog.current_setting(${quoteLiteral(KEPT_ACCESS_SETTING)}, true), ''), '{}')::jsonb`;

/**
 * plpgsql: notes the access of `reg` under `key` (text, the qualified name) until the end
 * of the transaction, for `takeKeptAccess` when the relation is made again.
 */
export function keepAccess(reg: string, key: string): string {
  return `PERFORM pg_catalog.set_config(${quoteLiteral(KEPT_ACCESS_SETTING)}, (${KEPT} || pg_catalog.jsonb_build_object(${key}, ${accessOf(reg)}))::text, true);`;
}

/** plpgsql: the access noted under `key` into `into` (NULL when none), no longer noted. */
export function takeKeptAccess(key: string, into: string): string[] {
  return [
    `${into} := ${KEPT} -> ${key};`,
    `IF ${into} IS NOT NULL THEN`,
    `  PERFORM pg_catalog.set_config(${quoteLiteral(KEPT_ACCESS_SETTING)}, (${KEPT} - ${key})::text, true);`,
    'END IF;',
  ];
}
