/**
 * Which changes lose data or rewrite tables, with stable codes. Pure: the generator marks
 * them in the migration file, and the runner can check them against live data.
 */
import { columnType } from '../schema/column-types.js';
import { displayed, qualifiedName, type Change } from './changes.js';
import { amountText, compareAmounts } from '../spec/time-amount.js';

export type DestructiveCode = 'PM101' | 'PM102' | 'PM103' | 'PM104' | 'PM105' | 'PM106';

export interface DestructiveChange {
  readonly code: DestructiveCode;
  readonly direction: 'up' | 'down';
  readonly table: string;
  readonly message: string;
  /** PM102: the column dropped. */
  readonly column?: string | undefined;
  /** PM103: the retention interval (text) or, for integer time, the number of units. */
  readonly dropAfter?: string | undefined;
  /** PM103: the amounts of environments that set their own (`environments:`). */
  readonly dropAfterByEnvironment?: Readonly<Record<string, string>> | undefined;
  /** PM106: what the aggregate reads, the hypertable or the aggregate it is built on. */
  readonly source?: string | undefined;
  /** PM106: the source's time column (`bucket` for an aggregate). */
  readonly timeColumn?: string | undefined;
  /** PM106: the aggregate's bucket width (interval text, or units for integer time). */
  readonly bucket?: string | undefined;
}

/**
 * A PM103 as it is where the migration runs: that environment's amount (the marker is
 * written when retention gets shorter in any environment).
 */
export function inEnvironment(
  change: DestructiveChange,
  environment: string | undefined,
): DestructiveChange {
  if (change.code !== 'PM103' || change.dropAfterByEnvironment === undefined) return change;
  const own = environment === undefined ? undefined : change.dropAfterByEnvironment[environment];
  const dropAfter = own ?? change.dropAfter;
  return {
    ...change,
    dropAfter,
    message: `retention drops chunks of ${change.table} older than ${dropAfter} on its first run${own === undefined ? '' : ` in environment '${environment}'`}`,
  };
}

export function destructiveChanges(
  changes: readonly Change[],
  direction: 'up' | 'down',
): DestructiveChange[] {
  return destructiveByChange(changes, direction).filter((d) => d !== undefined);
}

type AggregateDrop = Extract<Change, { kind: 'dropContinuousAggregate' }>;

/**
 * What a dropped aggregate can be computed again from: its source, or, where the same
 * changes drop that source aggregate too, the nearest source below it that stays.
 */
function survivingSource(
  drop: AggregateDrop,
  changes: readonly Change[],
): AggregateDrop['aggregate']['source'] {
  const dropped = (name: string) =>
    changes.find(
      (x): x is AggregateDrop =>
        x.kind === 'dropContinuousAggregate' &&
        x.aggregate.name === name &&
        x.schema === drop.schema,
    );
  let source = drop.aggregate.source;
  const seen = new Set<string>();
  for (;;) {
    if (source.kind !== 'aggregate' || seen.has(source.name)) return source;
    seen.add(source.name);
    const below = dropped(source.name);
    if (below === undefined) return source;
    source = below.aggregate.source;
  }
}

/** For each change, in order, what it destroys, or undefined when it loses nothing. */
export function destructiveByChange(
  changes: readonly Change[],
  direction: 'up' | 'down',
): (DestructiveChange | undefined)[] {
  const found: (DestructiveChange | undefined)[] = [];
  const add = (
    code: DestructiveCode,
    table: string,
    message: string,
    detail: Partial<DestructiveChange> = {},
  ) => {
    found[found.length - 1] = { code, direction, table, message, ...detail };
  };
  const removedRetention = new Map<string, Extract<Change, { kind: 'removeRetentionPolicy' }>>();
  for (const c of changes.map(displayed)) {
    found.push(undefined);
    switch (c.kind) {
      case 'dropModel':
      case 'dropTable':
        add('PM101', c.model.table, `drops table ${c.model.table} and every row in it`);
        break;
      case 'dropColumn':
        add('PM102', c.table, `drops column ${c.table}.${c.field.name} and its values`, {
          column: c.field.name,
        });
        break;
      case 'removeRetentionPolicy':
        removedRetention.set(c.table, c);
        break;
      case 'addRetentionPolicy': {
        const before = removedRetention.get(c.table);
        // Shorter where it runs: with no environment, or in one of `environments:`.
        const names = [
          ...new Set([
            ...Object.keys(before?.dropAfterByEnvironment ?? {}),
            ...Object.keys(c.dropAfterByEnvironment ?? {}),
          ]),
        ].sort();
        const places: (string | undefined)[] = [undefined, ...names];
        const afterIn = (e: string | undefined) =>
          (e === undefined ? undefined : c.dropAfterByEnvironment?.[e]) ?? c.dropAfter;
        const shorter = places.findIndex((e) => {
          if (before === undefined) return true;
          const was =
            (e === undefined ? undefined : before.dropAfterByEnvironment?.[e]) ?? before.dropAfter;
          return (compareAmounts(afterIn(e), was) ?? 0) < 0;
        });
        if (shorter >= 0) {
          const where = places[shorter];
          add(
            'PM103',
            c.table,
            `retention drops chunks of ${c.table} older than ${amountText(afterIn(where))} on its first run${where === undefined ? '' : ` in environment '${where}'`}`,
            {
              dropAfter: amountText(c.dropAfter),
              ...(c.dropAfterByEnvironment
                ? {
                    dropAfterByEnvironment: Object.fromEntries(
                      Object.entries(c.dropAfterByEnvironment).map(([e, a]) => [e, amountText(a)]),
                    ),
                  }
                : {}),
            },
          );
        }
        break;
      }
      case 'revertHypertable':
        add(
          'PM104',
          c.table,
          `turns hypertable ${c.table} back into a plain table: every row is copied under lock, policies go`,
        );
        break;
      case 'alterColumn':
        if (
          columnType(c.from) !== columnType(c.to) ||
          (c.from.type !== c.to.type && (c.from.type === 'enum' || c.to.type === 'enum')) ||
          c.from.maxLength !== c.to.maxLength ||
          c.from.scale !== c.to.scale
        ) {
          add(
            'PM105',
            c.table,
            `changes the type of ${c.table}.${c.to.name}: values may be cut or refused`,
          );
        }
        break;
      case 'dropContinuousAggregate': {
        const source = survivingSource(c, changes);
        const from = qualifiedName(source.name, c.schema);
        add(
          'PM106',
          c.aggregate.name,
          `drops continuous aggregate ${c.aggregate.name}: its buckets older than the oldest row of ${from} cannot be computed again`,
          {
            source: from,
            timeColumn: source.kind === 'table' ? source.timeColumn : 'bucket',
            bucket: amountText(c.aggregate.bucket),
          },
        );
        break;
      }
      default:
        break;
    }
  }
  return found;
}
