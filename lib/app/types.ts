/** `types`: TypeScript row types of every model of the spec, for typed repositories. */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { renderRowTypes } from '../query/row-types.js';
import { loadSpec } from '../spec/load.js';

export interface RowTypesAppOptions {
  readonly specFile: string;
  /** Where to write them (a `.ts` file); without it they are only returned. */
  readonly out?: string | undefined;
}

export interface RowTypesResult {
  /** The TypeScript source. */
  readonly text: string;
  /** The file written, or null. */
  readonly file: string | null;
  readonly models: readonly string[];
}

/** Throws SpecError for a bad spec; the file is replaced whole or left as it was. */
export async function generateRowTypes(options: RowTypesAppOptions): Promise<RowTypesResult> {
  if (options.out !== undefined && !/\.(ts|mts|cts)$/.test(options.out)) {
    throw new UsageError(`--out ${options.out}: row types are TypeScript`, {
      hint: 'name a .ts file, e.g. --out src/prism-types.ts',
    });
  }
  const { spec } = await loadSpec(options.specFile);
  const text = renderRowTypes(spec, { specFile: basename(options.specFile) });
  const models = spec.models.map((m) => m.name);
  if (options.out === undefined) return { text, file: null, models };
  mkdirSync(dirname(options.out), { recursive: true });
  const temp = join(dirname(options.out), `.${basename(options.out)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, text);
    renameSync(temp, options.out);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return { text, file: options.out, models };
}
