/**
 * Migrations written before the operations were imported functions call them as
 * `pgm.createHypertable(…)`. While prism-migrate runs migrations, those methods exist on
 * node-pg-migrate's MigrationBuilder and add their SQL through its public `pgm.sql`, so
 * such files keep working under `prism-migrate up/down`. node-pg-migrate cannot reverse
 * `pgm.sql` by itself: in a migration without `down`, a reversal fails with a message
 * saying how to write the `down`. New migrations import the functions instead
 * (`prism-migrate/operations`), which node-pg-migrate's own CLI runs as well.
 */
import { MigrationBuilder } from 'node-pg-migrate';
import { UsageError } from '../errors.js';
import { PRISM_OPERATIONS } from '../operations/sql.js';
import { addStatements } from '../operations/pgm.js';

const CANNOT_REVERSE = 'Impossible to automatically infer down migration';

function method(name: string, operation: (...args: never[]) => string | string[]) {
  return function (this: MigrationBuilder, ...args: never[]): void {
    try {
      addStatements(this, operation(...args));
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith(CANNOT_REVERSE)) throw error;
      throw new UsageError(`pgm.${name}() cannot be reversed in a migration without \`down\``, {
        hint: `export a \`down\` that undoes it, e.g. \`${name}.reverse(pgm, …same arguments)\` with \`import { ${name} } from 'prism-migrate/operations'\``,
      });
    }
  };
}

let installed = false;

/** Idempotent; the runner calls it before loading migrations. */
export function installLegacyMethods(): void {
  if (installed) return;
  const proto = MigrationBuilder.prototype as unknown as Record<string, unknown>;
  for (const [name, operation] of Object.entries(PRISM_OPERATIONS)) {
    if (name in proto) continue;
    Object.defineProperty(proto, name, {
      value: method(name, operation as (...args: never[]) => string | string[]),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  installed = true;
}
