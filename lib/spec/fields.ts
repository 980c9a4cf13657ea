/** Field checks and the normalized Field; type-specific keys only where they mean something. */
import type { Finding, Path } from './findings.js';
import { duplicateError, specError } from './findings.js';
import { parseDefault } from './defaults.js';
import type { RawField } from './raw.js';
import { parseSqlType } from './sql-type.js';
import type { Field, FieldReference, FieldType } from './types.js';
import { FIELD_TYPES } from './types.js';

const TYPE_KEYS = Object.freeze({
  max_length: 'string',
  precision: 'decimal',
  scale: 'decimal',
  values: 'enum',
} as const satisfies Record<string, FieldType>);

function misplacedKeys(raw: RawField, path: Path): Finding[] {
  if (raw.type === undefined) return [];
  return Object.entries(TYPE_KEYS)
    .filter(([key, type]) => raw[key as keyof typeof TYPE_KEYS] !== undefined && raw.type !== type)
    .map(([key, type]) =>
      specError(
        [...path, key],
        `${key} only applies to type ${type}, not ${raw.type}`,
        `remove ${key}, or change the type to ${type}`,
        'key',
      ),
    );
}

function enumValueProblem(value: string): string | undefined {
  if (value === '') return 'an enum value must not be empty';
  if (value.includes('\0')) return 'an enum value must not contain a NUL character';
  if (Buffer.byteLength(value, 'utf8') > 63)
    return `enum value ${JSON.stringify(value)} is longer than 63 bytes`;
  return undefined;
}

function enumFindings(raw: RawField, path: Path): Finding[] {
  if (raw.type !== 'enum') return [];
  if (raw.values === undefined) {
    return [
      specError(
        path,
        `enum field '${raw.name}' needs values`,
        'add e.g. `values: [draft, published]`',
      ),
    ];
  }
  const findings: Finding[] = [];
  const first = new Map<string, number>();
  raw.values.forEach((value, k) => {
    const problem = enumValueProblem(value);
    if (problem !== undefined)
      findings.push(
        specError(
          [...path, 'values', k],
          problem,
          'PostgreSQL enum labels are 1 to 63 bytes of text',
        ),
      );
    const seen = first.get(value);
    if (seen === undefined) first.set(value, k);
    else
      findings.push(
        duplicateError(
          [...path, 'values', k],
          [...path, 'values', seen],
          `duplicate enum value ${JSON.stringify(value)}`,
          'list each value once',
        ),
      );
  });
  return findings;
}

function decimalFindings(raw: RawField, path: Path): Finding[] {
  if (raw.type !== 'decimal' || raw.scale === undefined) return [];
  if (raw.precision === undefined) {
    return [
      specError(
        [...path, 'scale'],
        'scale needs precision',
        'add precision, e.g. `precision: 12`',
        'key',
      ),
    ];
  }
  return raw.scale > raw.precision
    ? [
        specError(
          [...path, 'scale'],
          `scale ${raw.scale} is larger than precision ${raw.precision}`,
          'scale counts digits after the point and must be at most precision',
        ),
      ]
    : [];
}

/** `type` or `sql_type`, one of them; sql_type through its grammar. */
function typeFindings(raw: RawField, path: Path): Finding[] {
  if (raw.sql_type === undefined) {
    return raw.type === undefined
      ? [
          specError(
            path,
            `field '${raw.name}' needs a type`,
            `add a type, one of: ${FIELD_TYPES.join(', ')}; or sql_type for another PostgreSQL type`,
          ),
        ]
      : [];
  }
  if (raw.type !== undefined) {
    return [
      specError(
        [...path, 'sql_type'],
        `field '${raw.name}' has both type and sql_type`,
        'sql_type replaces type: remove one of them',
        'key',
      ),
    ];
  }
  const parsed = parseSqlType(raw.sql_type);
  if (!parsed.ok) return [specError([...path, 'sql_type'], parsed.message, parsed.hint)];
  const findings: Finding[] = [];
  for (const key of Object.keys(TYPE_KEYS) as (keyof typeof TYPE_KEYS)[]) {
    if (raw[key] !== undefined) {
      findings.push(
        specError(
          [...path, key],
          `${key} does not apply to sql_type`,
          "write modifiers in sql_type itself, e.g. 'vector(3)'",
          'key',
        ),
      );
    }
  }
  if (raw.array) {
    findings.push(
      specError(
        [...path, 'array'],
        'array does not apply to sql_type',
        `write the brackets in sql_type itself: '${raw.sql_type.trim().replace(/\[\]$/, '')}[]'`,
        'key',
      ),
    );
  }
  if (raw.default !== undefined) {
    findings.push(
      specError(
        [...path, 'default'],
        'a field with sql_type takes no default',
        'prism.yaml cannot check a value of a type it does not know; set the default in a migration of your own',
      ),
    );
  }
  return findings;
}

function arrayFindings(raw: RawField, path: Path): Finding[] {
  if (!raw.array || raw.type === undefined) return [];
  const findings: Finding[] = [];
  if (raw.type === 'enum') {
    findings.push(
      specError(
        [...path, 'array'],
        'an enum field cannot be an array',
        'use type: text with array: true, or a separate field',
      ),
    );
  }
  if (raw.primary_key) {
    findings.push(
      specError(
        [...path, 'array'],
        `primary key field '${raw.name}' cannot be an array`,
        'remove `array: true`, or `primary_key: true`',
      ),
    );
  }
  if (raw.default !== undefined && raw.default !== '{}') {
    findings.push(
      specError(
        [...path, 'default'],
        'an array field takes only the empty array as its default',
        "write default: '{}', or remove the default",
      ),
    );
  }
  return findings;
}

function optionFindings(raw: RawField, path: Path): Finding[] {
  return raw.primary_key && raw.optional
    ? [
        specError(
          [...path, 'optional'],
          `primary key field '${raw.name}' cannot be optional`,
          'remove `optional: true` (primary key columns are NOT NULL)',
        ),
      ]
    : [];
}

function defaultFindings(raw: RawField, path: Path): Finding[] {
  if (raw.default === undefined || raw.type === undefined || raw.array) return [];
  const result = parseDefault(raw.default, fieldTarget(raw));
  return result.ok ? [] : [specError([...path, 'default'], result.message, result.hint)];
}

function fieldTarget(raw: RawField): Parameters<typeof parseDefault>[1] {
  return {
    type: raw.type ?? 'sql',
    array: raw.array,
    maxLength: raw.max_length,
    precision: raw.precision,
    scale: raw.scale,
    values: raw.values,
  };
}

/** on_delete / on_update mean something only on a foreign key. */
function actionFindings(raw: RawField, path: Path): Finding[] {
  if (raw.references !== undefined) return [];
  return (['on_delete', 'on_update'] as const)
    .filter((key) => raw[key] !== undefined)
    .map((key) =>
      specError(
        [...path, key],
        `${key} only applies to a field with references`,
        `add e.g. \`references: Device.id\`, or remove ${key}`,
        'key',
      ),
    );
}

export function fieldFindings(raw: RawField, path: Path): Finding[] {
  return [
    ...typeFindings(raw, path),
    ...arrayFindings(raw, path),
    ...misplacedKeys(raw, path),
    ...actionFindings(raw, path),
    ...enumFindings(raw, path),
    ...decimalFindings(raw, path),
    ...optionFindings(raw, path),
    ...defaultFindings(raw, path),
  ];
}

/** Second and later uses of each name, pointing back at the first. */
export function duplicateNameFindings(
  items: readonly { readonly name: string; readonly path: Path }[],
  what: string,
  hint: string,
): Finding[] {
  const first = new Map<string, Path>();
  const findings: Finding[] = [];
  for (const item of items) {
    const seen = first.get(item.name);
    if (seen === undefined) first.set(item.name, item.path);
    else findings.push(duplicateError(item.path, seen, `duplicate ${what} '${item.name}'`, hint));
  }
  return findings;
}

/** The normalized field; call only when fieldFindings found no error. */
export function buildField(raw: RawField, notNull: boolean): Field {
  const parsed =
    raw.default === undefined ? undefined : parseDefault(raw.default, fieldTarget(raw));
  const sqlType = raw.sql_type === undefined ? undefined : parseSqlType(raw.sql_type);
  return Object.freeze({
    name: raw.name,
    type: raw.type ?? 'sql',
    // Only when set, so specs without them build exactly the objects they did before.
    ...(raw.array ? { array: true } : {}),
    ...(sqlType?.ok ? { sqlType: sqlType.value } : {}),
    maxLength: raw.max_length,
    precision: raw.precision,
    scale: raw.scale,
    values: raw.values === undefined ? undefined : Object.freeze([...raw.values]),
    primaryKey: raw.primary_key,
    index: raw.index,
    unique: raw.unique,
    optional: notNull ? false : raw.optional,
    default: parsed?.ok ? parsed.value : undefined,
    // Only when given, so specs without renames build exactly the objects they did before.
    ...(raw.renamed_from === undefined ? {} : { renamedFrom: raw.renamed_from }),
    ...(raw.references === undefined ? {} : { references: referenceOf(raw, raw.references) }),
  });
}

function referenceOf(raw: RawField, text: string): FieldReference {
  const dot = text.indexOf('.');
  return Object.freeze({
    model: text.slice(0, dot),
    field: text.slice(dot + 1),
    onDelete: raw.on_delete ?? 'no action',
    onUpdate: raw.on_update ?? 'no action',
  });
}
