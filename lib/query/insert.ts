/**
 * insertMany: validated bulk inserts of one model's rows, all or none per call. Large
 * batches stream through `COPY … FROM STDIN` (text format), validated and rendered as the
 * server takes them; small ones, and any on the embedded database, go in as
 * `INSERT … SELECT … FROM unnest($1::type[], …)`. Both send each value as the same text.
 */
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { isEmbeddedEngine } from '../db/engine-kind.js';
import { DatabaseError, UsageError } from '../errors.js';
import { columnType } from '../schema/column-types.js';
import { quoteIdent, quoteTable } from '../sql/quote.js';
import { sqlTypeSql } from '../spec/sql-type.js';
import type { Field, Model } from '../spec/types.js';
import { copyLine, copyStream } from './copy-text.js';
import { copyKeepsInsertSemantics } from './copy-target.js';
import { describeValue, fieldValue, passedAsText } from './values.js';

/**
 * What the repository sends queries through: a client, or a pool (which hands each query to
 * a free session and replaces a broken one).
 */
export type Queryable = pg.ClientBase | pg.Pool;

/** How insertMany sends rows: `auto` picks COPY for large batches where the server takes it. */
export type IngestMethod = 'auto' | 'copy' | 'unnest';
export const INGEST_METHODS: readonly IngestMethod[] = Object.freeze(['auto', 'copy', 'unnest']);

/** Rows from which `auto` uses COPY: below it one unnest statement is as fast, with no setup. */
export const COPY_MIN_ROWS = 1_000;
/** Rows per unnest statement by default. */
export const DEFAULT_BATCH_SIZE = 5_000;

export interface InsertOptions {
  /** Rows per unnest statement; default 5,000. COPY sends every row in one statement. */
  readonly batchSize?: number | undefined;
  /** Default `auto`. */
  readonly ingest?: IngestMethod | undefined;
}

/**
 * Rows read one at a time, in order, as insertMany sends them: e.g. parsed from a request
 * body while the server takes the rows before. `row` may throw (a UsageError naming the
 * row); the call then stores nothing. Read whole first where every row is needed before
 * the first statement (unnest; a model with defaulted fields).
 */
export interface RowSource {
  readonly length: number;
  row(index: number): unknown;
}

function isRowSource(rows: unknown): rows is RowSource {
  return (
    typeof rows === 'object' &&
    rows !== null &&
    typeof (rows as RowSource).row === 'function' &&
    Number.isSafeInteger((rows as RowSource).length)
  );
}

/** Checks rows against one model: each row's values by field position, undefined where left out. */
class RowChecker {
  readonly #model: Model;
  readonly #position: Map<string, number>;

  constructor(model: Model) {
    this.#model = model;
    this.#position = new Map(model.fields.map((f, i) => [f.name, i]));
  }

  /** Row `index`'s values for parameters; throws a UsageError `row <index>: …`. */
  check(row: unknown, index: number): unknown[] {
    const model = this.#model;
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new UsageError(`row ${index}: expected an object, got ${describeValue(row)}`);
    }
    const out = new Array<unknown>(model.fields.length);
    // Object.keys: the own enumerable keys, as Object.entries, without a pair per field.
    for (const name of Object.keys(row)) {
      const value = (row as Record<string, unknown>)[name];
      const at = this.#position.get(name);
      if (at === undefined) {
        throw new UsageError(`row ${index}: unknown field ${JSON.stringify(name)}`, {
          hint: `fields of ${model.name}: ${model.fields.map((f) => f.name).join(', ')}`,
        });
      }
      if (value === undefined) continue;
      const field = model.fields[at] as Field;
      if (value === null) {
        if (!field.optional)
          throw new UsageError(`row ${index}: field ${name} is not optional, got null`);
        out[at] = null;
        continue;
      }
      try {
        out[at] = fieldValue(field, value);
      } catch (e) {
        throw new UsageError(`row ${index}: field ${name}: ${(e as Error).message}`);
      }
    }
    for (let at = 0; at < model.fields.length; at++) {
      const field = model.fields[at] as Field;
      if (out[at] === undefined && !field.optional && field.default === undefined) {
        throw new UsageError(`row ${index}: field ${field.name} is missing`, {
          hint: 'it is neither optional nor has a default',
        });
      }
    }
    return out;
  }
}

/** Validates rows; returns, per row, the fields given (values converted for parameters). */
export function validateRows(model: Model, rows: readonly unknown[]): Map<string, unknown>[] {
  if (!Array.isArray(rows)) throw new UsageError('rows must be an array of objects');
  const checker = new RowChecker(model);
  return rows.map((row, index) => {
    const values = checker.check(row, index);
    const out = new Map<string, unknown>();
    values.forEach((v, at) => {
      if (v !== undefined) out.set((model.fields[at] as Field).name, v);
    });
    return out;
  });
}

/**
 * The positions of the columns a row's statement names: every field, except defaulted
 * fields the row leaves out (the database fills those).
 */
function columnsOf(model: Model, given: (at: number) => boolean): number[] {
  const columns: number[] = [];
  model.fields.forEach((f, at) => {
    if (f.default === undefined || given(at)) columns.push(at);
  });
  return columns;
}

/**
 * The column sets of unchecked rows, from the defaulted fields each gives (as the checker
 * will read them: own enumerable keys, undefined counting as left out). Rows that are not
 * objects count for none: checking refuses them.
 */
function columnSetsOf(model: Model, rows: readonly unknown[]): Set<string> {
  const defaulted = model.fields.filter((f) => f.default !== undefined).map((f) => f.name);
  const sets = new Set<string>();
  if (defaulted.length === 0) return sets.add('');
  const enumerable = Object.prototype.propertyIsEnumerable;
  const gives = (r: Record<string, unknown>, name: string): boolean =>
    enumerable.call(r, name) && r[name] !== undefined;
  let first: Record<string, unknown> | undefined;
  for (const row of rows) {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) continue;
    const r = row as Record<string, unknown>;
    if (first !== undefined && defaulted.every((n) => gives(r, n) === gives(first!, n))) continue;
    first ??= r;
    sets.add(defaulted.map((n) => (gives(r, n) ? 1 : 0)).join(''));
    if (sets.size > 1) break;
  }
  return sets;
}

const embeddedEngines = new WeakMap<object, Promise<boolean>>();

/** Whether `client` reaches the embedded database; asked once per client or pool. */
function embeddedEngine(key: Queryable, session: pg.ClientBase): Promise<boolean> {
  let answer = embeddedEngines.get(key);
  if (answer === undefined) {
    answer = isEmbeddedEngine(session);
    embeddedEngines.set(key, answer);
    answer.catch(() => embeddedEngines.delete(key));
  }
  return answer;
}

/** Clients (sessions) with an insertMany call under way. */
const inUse = new WeakSet<object>();

/**
 * Marks a client as taken by this call, or refuses: a client is one session, and a call
 * decides on BEGIN and savepoints from the session's transaction state, which another
 * call's (or the caller's) statements sent meanwhile would change — two calls could then
 * share one transaction, and one's failure roll back the other's rows. `_activeQuery` and
 * `_queryQueue` are where pg keeps the statements a client has not yet answered.
 */
function claim(client: object): void {
  const pending = client as { _activeQuery?: unknown; _queryQueue?: unknown };
  const queued = Array.isArray(pending._queryQueue) && pending._queryQueue.length > 0;
  if (inUse.has(client) || (pending._activeQuery ?? null) !== null || queued) {
    throw new UsageError('the client is running other statements: insertMany needs it alone', {
      hint: 'a client is one session; run concurrent calls on a pool, or await each call',
    });
  }
  inUse.add(client);
}

/** A pool by its shape, so a pool from another copy of pg counts too. */
function isPool(client: Queryable): client is pg.Pool {
  return typeof (client as { totalCount?: unknown }).totalCount === 'number';
}

/**
 * The session's transaction state as its last ReadyForQuery said: `I` idle, `T` in a
 * transaction, `E` in a failed one; undefined when the client cannot tell.
 */
function transactionStatus(session: pg.ClientBase): string | undefined {
  const status = (session as { getTransactionStatus?: () => unknown }).getTransactionStatus?.();
  return typeof status === 'string' ? status : undefined;
}

/** `ROLLBACK` (or to a savepoint) after a failure; a session that cannot is broken. */
async function undo(session: pg.ClientBase, sql: string): Promise<Error | undefined> {
  try {
    await session.query(sql);
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

interface Statements {
  /** How many statements the rows take. */
  readonly count: number;
  /** Whether a statement may fail from a row being refused before the server saw it. */
  readonly checksWhileSending: boolean;
  /** Unnest statements take a pool too; COPY only a session. */
  run(session: Queryable): Promise<number>;
}

const SAVEPOINT = 'prism_insert_many';

/**
 * Runs the statements all or none: one statement alone is atomic; several outside a
 * transaction run in one of their own; inside the caller's transaction a database error
 * leaves that transaction failed (so nothing of it, these rows included, can commit), and
 * a row refused while sending is rolled back to a savepoint, leaving the caller's
 * transaction as it was, as a refusal before any statement would.
 */
async function atomically(
  session: pg.ClientBase,
  statements: Statements,
  setBroken: (e: Error) => void,
): Promise<number> {
  let status = transactionStatus(session);
  if (status === undefined) {
    // A client that does not report it: a savepoint outside a transaction is refused.
    try {
      await session.query(`SAVEPOINT ${SAVEPOINT}`);
      status = 'T';
      await session.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
    } catch (error) {
      if ((error as { code?: unknown }).code !== '25P01') throw error;
      status = 'I';
    }
  }
  if (status === 'I' && statements.count > 1) {
    await session.query('BEGIN');
    try {
      const n = await statements.run(session);
      // COMMIT of a transaction that failed answers ROLLBACK without an error: whatever
      // made it fail (another user of the session), these rows are not stored.
      const commit = await session.query('COMMIT');
      if (commit.command !== 'COMMIT') {
        throw new DatabaseError(
          `the rows were not stored: the transaction ended in ${commit.command ?? 'an unknown state'} instead of COMMIT`,
          { hint: 'a client is one session: run concurrent insertMany calls on a pool' },
        );
      }
      return n;
    } catch (error) {
      const broken = await undo(session, 'ROLLBACK');
      if (broken) setBroken(broken);
      throw error;
    }
  }
  if (status === 'T' && statements.checksWhileSending) {
    await session.query(`SAVEPOINT ${SAVEPOINT}`);
    let n: number;
    try {
      n = await statements.run(session);
    } catch (error) {
      if (error instanceof UsageError) {
        const broken =
          (await undo(session, `ROLLBACK TO SAVEPOINT ${SAVEPOINT}`)) ??
          (await undo(session, `RELEASE SAVEPOINT ${SAVEPOINT}`));
        if (broken) setBroken(broken);
      }
      throw error;
    }
    await session.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
    return n;
  }
  return statements.run(session);
}

/** `COPY table (columns) FROM STDIN` of `count` rows, row i's values from `values(i)`. */
async function copyRows(
  session: pg.ClientBase,
  model: Model,
  columns: readonly number[],
  count: number,
  values: (index: number) => unknown[],
): Promise<number> {
  const names = columns.map((at) => quoteIdent((model.fields[at] as Field).name)).join(', ');
  const copy = session.query(
    copyFrom(
      `COPY ${quoteTable({ schema: model.schema, name: model.table })} (${names}) FROM STDIN`,
    ),
  );
  try {
    await pipeline(
      copyStream(count, (i) => copyLine(values(i), columns)),
      copy,
    );
  } catch (error) {
    // The failure may come before the server has ended the COPY; an empty query answers
    // after it, so that the session's transaction state is current when this returns.
    await session.query('').catch(() => undefined);
    throw error;
  }
  return copy.rowCount;
}

/**
 * An sql_type as the statement names it: without its modifiers, which the INSERT then
 * applies as an assignment, as COPY does. An explicit cast to `varchar(3)` (or to a domain
 * over it) would cut 'abcdef' to 'abc' where COPY and INSERT … VALUES refuse it (22001).
 */
const unmodifiedSqlType = (field: Field): string =>
  sqlTypeSql({ ...(field.sqlType as NonNullable<Field['sqlType']>), modifiers: [] });

/**
 * The element type of a field's array parameter. An sql_type that is not an array goes as
 * an array of its own type: the array's input reads each element with the type's input
 * function (a domain's included), as COPY reads its text. Arrays go as text (an array of
 * arrays would be flattened by unnest).
 */
function parameterType(field: Field): string {
  if (field.type === 'sql' && field.sqlType?.array !== true) return unmodifiedSqlType(field);
  return passedAsText(field) ? 'text' : columnType(field);
}

/** The cast of a value passed as text to its column's type; undefined where none is needed. */
function selectCast(field: Field): string | undefined {
  if (field.type === 'sql')
    return field.sqlType?.array === true ? unmodifiedSqlType(field) : undefined;
  return passedAsText(field) ? columnType(field) : undefined;
}

/** Rows of one column set (positions of the fields named) by unnest, `batchSize` per statement. */
async function unnestRows(
  session: Queryable,
  model: Model,
  columns: readonly number[],
  rows: readonly unknown[][],
  batchSize: number,
): Promise<number> {
  const fields = columns.map((at) => model.fields[at] as Field);
  const names = fields.map((f) => quoteIdent(f.name)).join(', ');
  const arrays = fields.map((f, i) => `$${i + 1}::${parameterType(f)}[]`).join(', ');
  const selected = fields.map((f, i) => {
    const cast = selectCast(f);
    return cast === undefined ? `u.c${i}` : `u.c${i}::${cast}`;
  });
  const sql =
    `INSERT INTO ${quoteTable({ schema: model.schema, name: model.table })} (${names}) SELECT ${selected.join(', ')}` +
    ` FROM unnest(${arrays}) AS u(${fields.map((_, i) => `c${i}`).join(', ')})`;
  let inserted = 0;
  for (let at = 0; at < rows.length; at += batchSize) {
    const batch = rows.slice(at, at + batchSize);
    const parameters = columns.map((c) => batch.map((v) => v[c] ?? null));
    const result = await session.query(sql, parameters);
    inserted += result.rowCount ?? 0;
  }
  return inserted;
}

/** Checked rows grouped by the columns their statement names. */
function groupByColumns(model: Model, checked: readonly unknown[][]): Map<string, unknown[][]> {
  const groups = new Map<string, unknown[][]>();
  for (const values of checked) {
    const key = columnsOf(model, (at) => values[at] !== undefined).join(',');
    const list = groups.get(key) ?? [];
    list.push(values);
    groups.set(key, list);
  }
  return groups;
}

const keyColumns = (key: string): number[] => (key === '' ? [] : key.split(',').map(Number));

/** The statements that insert `rows` by `method`. */
function plan(
  model: Model,
  rows: readonly unknown[] | RowSource,
  method: 'copy' | 'unnest',
  batchSize: number,
): Statements {
  const checker = new RowChecker(model);
  const defaulted = model.fields.flatMap((f, at) => (f.default === undefined ? [] : [at]));
  const source = Array.isArray(rows) ? undefined : (rows as RowSource);
  // Without defaulted fields a COPY names every column: a source's rows are read only as
  // sent. Otherwise a source is read whole first, each row checked as it is read, so that
  // the first row refused in order is the one reported, as when they are read as sent.
  const streamed = source !== undefined && method === 'copy' && defaulted.length === 0;
  const list = source === undefined ? (rows as readonly unknown[]) : undefined;
  const sets = streamed
    ? new Set([''])
    : list === undefined
      ? undefined
      : columnSetsOf(model, list);
  if (method === 'copy' && sets !== undefined && sets.size <= 1) {
    // One column set: each row is checked as its line is made, while the server takes
    // the lines before it; a refused row fails the COPY (CopyFail), which stores none.
    const [set = ''] = sets;
    const columns = columnsOf(model, (at) => set[defaulted.indexOf(at)] === '1');
    const rowAt = list === undefined ? (i: number) => source?.row(i) : (i: number) => list[i];
    return {
      count: 1,
      checksWhileSending: true,
      run: (session) =>
        copyRows(session as pg.ClientBase, model, columns, rows.length, (index) => {
          const values = checker.check(rowAt(index), index);
          // A getter may answer differently the second time; the column list is fixed.
          for (let d = 0; d < defaulted.length; d++) {
            if ((values[defaulted[d] as number] !== undefined) !== (set[d] === '1')) {
              throw new UsageError(`row ${index}: its fields changed while it was read`);
            }
          }
          return values;
        }),
    };
  }
  // Several column sets (or unnest): every row checked before any statement.
  const checked =
    list === undefined
      ? Array.from({ length: rows.length }, (_, i) => checker.check(source?.row(i), i))
      : list.map((row, i) => checker.check(row, i));
  const groups = [...groupByColumns(model, checked)];
  return {
    count:
      method === 'copy'
        ? groups.length
        : groups.reduce((n, [, list]) => n + Math.ceil(list.length / batchSize), 0),
    checksWhileSending: false,
    async run(session) {
      let inserted = 0;
      for (const [key, list] of groups) {
        const columns = keyColumns(key);
        inserted +=
          method === 'copy'
            ? await copyRows(
                session as pg.ClientBase,
                model,
                columns,
                list.length,
                (i) => list[i] as unknown[],
              )
            : await unnestRows(session, model, columns, list, batchSize);
      }
      return inserted;
    },
  };
}

/**
 * Validates and inserts `rows`; returns the number inserted. All or none per call: a row
 * refused by validation (UsageError `row <i>: field <f>: …`, the same messages whatever
 * the method) or by the database (its error, with its SQLSTATE `code`, e.g. 23505) leaves
 * none of the call's rows stored —
 * - on a client outside a transaction, and on a pool (one session is checked out for the
 *   call): one statement alone, several in a transaction of their own;
 * - inside the caller's transaction: a database error leaves that transaction failed, so
 *   it can only roll back; a refused row leaves it as it was (a savepoint where rows were
 *   already being sent), so the caller may go on.
 *
 * `ingest` `auto` (default) streams batches of COPY_MIN_ROWS rows or more with `COPY …
 * FROM STDIN` into a table where COPY stores what INSERT would (see copy-target.ts;
 * checking and rendering each row as the server takes the ones before), and
 * inserts smaller batches, and any on the embedded database (asked once per client or
 * pool), with `INSERT … SELECT … FROM unnest($1::type[], …)`, `batchSize` rows per
 * statement. Rows leaving out different fields that have defaults go in separate
 * statements so that the database fills the defaults. `rows` may be a RowSource, read row
 * by row as the COPY goes (whole first where unnest or defaulted fields need every row,
 * each row checked as it is read, so the first refused row in order is reported).
 *
 * A client is one session: a call while another call or statement is under way on it is
 * refused (UsageError); run concurrent calls on a pool.
 */
export async function insertMany(
  client: Queryable,
  model: Model,
  rows: readonly object[] | RowSource,
  options: InsertOptions | number = {},
): Promise<number> {
  const { batchSize = DEFAULT_BATCH_SIZE, ingest = 'auto' } =
    typeof options === 'number' ? { batchSize: options } : options;
  if (!Array.isArray(rows) && !isRowSource(rows)) {
    throw new UsageError('rows must be an array of objects');
  }
  if (!INGEST_METHODS.includes(ingest)) {
    throw new UsageError(`ingest must be one of ${INGEST_METHODS.join(', ')}`);
  }
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new UsageError('batchSize must be a whole number of at least 1');
  }
  if (rows.length === 0) return 0;
  const pool = isPool(client);
  let method = ingest === 'auto' ? (rows.length < COPY_MIN_ROWS ? 'unnest' : undefined) : ingest;
  let statements = method === undefined ? undefined : plan(model, rows, method, batchSize);
  // One unnest statement is atomic on its own, and a pool may run it on any session.
  if (pool && method === 'unnest' && statements?.count === 1) return statements.run(client);
  if (!pool) claim(client);
  let checkedOut: pg.PoolClient | undefined;
  let broken: Error | undefined;
  // A checked-out session whose connection ends (the server went away mid-COPY) emits
  // 'error', which the pool listens to only on idle sessions: unheard, it ends the process.
  // Its statement fails as well; the session is released broken.
  const onLost = (error: Error) => {
    broken ??= error;
  };
  try {
    if (pool) {
      checkedOut = await client.connect();
      checkedOut.on('error', onLost);
    }
    const session = checkedOut ?? (client as pg.ClientBase);
    if (method === undefined) {
      const embedded = await embeddedEngine(client, session);
      const table = quoteTable({ schema: model.schema, name: model.table });
      method = !embedded && (await copyKeepsInsertSemantics(session, table)) ? 'copy' : 'unnest';
    }
    statements ??= plan(model, rows, method, batchSize);
    if (method === 'unnest' && statements.count === 1) return await statements.run(session);
    return await atomically(session, statements, (e) => {
      broken = e;
    });
  } finally {
    if (!pool) inUse.delete(client);
    checkedOut?.off('error', onLost);
    checkedOut?.release(broken);
  }
}
