/**
 * `npm run spec:schema`: writes spec/prism.schema.json from the joi schema. A unit test
 * regenerates it and compares, so a schema change without a re-run fails the tests.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { prismJsonSchema } from './json-schema.js';

/** From dist/lib/spec/ (compiled) to the repository's spec/ folder. */
export const JSON_SCHEMA_URL = new URL('../../../spec/prism.schema.json', import.meta.url);

export function jsonSchemaText(): string {
  return `${JSON.stringify(prismJsonSchema(), null, 2)}\n`;
}

/** Formatted like the rest of the repository, so `format:check` stays clean after a re-run. */
async function formatted(text: string, file: string): Promise<string> {
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...config, filepath: file });
}

export async function writeJsonSchema(target: URL = JSON_SCHEMA_URL): Promise<string> {
  const file = fileURLToPath(target);
  await writeFile(target, await formatted(jsonSchemaText(), file), 'utf8');
  return file;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`wrote ${await writeJsonSchema()}`);
}
