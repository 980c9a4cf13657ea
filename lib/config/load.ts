/**
 * Finding the settings file: `--config <file>`, else `prism.config.json` in the working
 * directory, else the `"prism"` key of its package.json. Both of the last two at once is
 * refused rather than one silently ignored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { CONFIG_FILE, parseConfig, parseJson, type PrismConfig } from './file.js';

export interface ConfigInput {
  readonly cwd: string;
  /** `--config`: a JSON file of settings, or a package.json with a `"prism"` key. */
  readonly file?: string | undefined;
}

const PACKAGE_KEY = 'package.json ("prism" key)';

function readJson(path: string, name: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the settings file ${name}: ${(error as Error).message}`, {
      hint: 'point --config at a JSON file (or a package.json with a "prism" key)',
    });
  }
  return parseJson(text, name);
}

/** The `"prism"` settings of the package.json at `path`, if it has any. */
function packageSettings(path: string, name: string): PrismConfig | undefined {
  const pkg = readJson(path, name);
  if (typeof pkg !== 'object' || pkg === null || !('prism' in pkg)) return undefined;
  return parseConfig(pkg.prism, name.replace(/package\.json$/, PACKAGE_KEY), dirname(path));
}

export function loadConfig(input: ConfigInput): PrismConfig | undefined {
  if (input.file !== undefined) {
    const path = resolve(input.cwd, input.file);
    if (!existsSync(path)) {
      throw new UsageError(`the config file ${input.file} does not exist`, {
        hint: `check --config, or leave it out to read ./${CONFIG_FILE}`,
      });
    }
    if (basename(path) === 'package.json') {
      const settings = packageSettings(path, input.file);
      if (settings === undefined) {
        throw new UsageError(`${input.file} has no "prism" key`, {
          hint: 'add one with the settings, or point --config at a prism.config.json',
        });
      }
      return settings;
    }
    return parseConfig(readJson(path, input.file), input.file, dirname(path));
  }
  const own = join(input.cwd, CONFIG_FILE);
  const pkg = join(input.cwd, 'package.json');
  const fromPackage = existsSync(pkg) ? packageSettings(pkg, 'package.json') : undefined;
  if (!existsSync(own)) return fromPackage;
  if (fromPackage !== undefined) {
    throw new UsageError(`both ${CONFIG_FILE} and the "prism" key of package.json hold settings`, {
      hint: 'keep one of them',
    });
  }
  return parseConfig(readJson(own, CONFIG_FILE), CONFIG_FILE, input.cwd);
}
