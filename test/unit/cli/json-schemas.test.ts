/** spec/cli/*.schema.json: one per command, consistent with each other and with the code. */
import { expect } from 'chai';
import type { Command } from 'commander';
import { buildProgram } from '../../../lib/cli/main.js';
import { createOutput } from '../../../lib/cli/output.js';
import { ERROR_CODES } from '../../../lib/errors.js';
import type { ChangeKind } from '../../../lib/diff/changes.js';
import type { DestructiveCode } from '../../../lib/diff/destructive.js';
import { DIFFERENCE_KINDS } from '../../../lib/schema/compare.js';
import {
  checkSchema,
  CLI_SCHEMAS,
  resolveRef,
  schemaOf,
  TIMESCALE_INFO_SCHEMA,
} from '../../helpers/json-schema.js';

type Schema = Record<string, unknown>;
const defs = (s: Schema) => s['$defs'] as Record<string, Schema>;
const enumOf = (name: string, def: string, path: string[] = []) => {
  let node: Schema = defs(CLI_SCHEMAS[name] as Schema)[def] as Schema;
  for (const p of path) node = node[p] as Schema;
  return node['enum'];
};

// Records, so that a kind or code added to the code without the schema fails to compile here.
const CHANGE_KINDS: Record<ChangeKind, true> = {
  createModel: true,
  dropModel: true,
  createTable: true,
  dropTable: true,
  renameTable: true,
  addColumn: true,
  dropColumn: true,
  renameColumn: true,
  alterColumn: true,
  setPrimaryKey: true,
  addIndex: true,
  dropIndex: true,
  addForeignKey: true,
  dropForeignKey: true,
  addDefaultTimeIndex: true,
  dropDefaultTimeIndex: true,
  createHypertable: true,
  revertHypertable: true,
  setChunkInterval: true,
  enableCompression: true,
  disableCompression: true,
  alterCompression: true,
  addCompressionPolicy: true,
  removeCompressionPolicy: true,
  addRetentionPolicy: true,
  removeRetentionPolicy: true,
  setIntegerNow: true,
  dropIntegerNow: true,
  setNumberPartitions: true,
  addReorderPolicy: true,
  removeReorderPolicy: true,
  createContinuousAggregate: true,
  dropContinuousAggregate: true,
  setAggregateRealtime: true,
  addContinuousAggregatePolicy: true,
  removeContinuousAggregatePolicy: true,
  enableAggregateCompression: true,
  disableAggregateCompression: true,
  addAggregateCompressionPolicy: true,
  removeAggregateCompressionPolicy: true,
  addAggregateRetentionPolicy: true,
  removeAggregateRetentionPolicy: true,
};
const DESTRUCTIVE_CODES: Record<DestructiveCode, true> = {
  PM101: true,
  PM102: true,
  PM103: true,
  PM104: true,
  PM105: true,
  PM106: true,
};

function commandPaths(command: Command, prefix = ''): string[] {
  return command.commands.flatMap((c) => {
    const path = `${prefix}${c.name()}`;
    return c.commands.length > 0 ? commandPaths(c, `${path} `) : [path];
  });
}

describe('spec/cli/*.schema.json', () => {
  const names = Object.keys(CLI_SCHEMAS);

  it('one schema for each command, and none for a command that does not exist', () => {
    const paths = commandPaths(buildProgram(createOutput(false)));
    expect(paths).to.include.members(['check', 'up', 'jobs run', 'embedded status']);
    const used = new Set(paths.map(schemaOf));
    for (const p of paths) expect(names, p).to.include(schemaOf(p));
    expect(names.filter((n) => !used.has(n))).to.deep.equal(['error']);
  });

  it('draft 2020-12; every $ref resolves; a command accepts its result or a failure', () => {
    for (const name of names) {
      const schema = CLI_SCHEMAS[name] as Schema;
      expect(schema['$schema'], name).to.equal('https://json-schema.org/draft/2020-12/schema');
      for (const r of JSON.stringify(schema).match(/"\$ref":"[^"]+"/g) ?? []) {
        resolveRef(schema, (JSON.parse(`{${r}}`) as { $ref: string }).$ref);
      }
      if (name !== 'error') {
        expect(schema['oneOf'], name).to.deep.equal([
          { $ref: '#/$defs/result' },
          { $ref: '#/$defs/failure' },
        ]);
        const result = defs(schema)['result'] as Schema;
        expect(result['additionalProperties'], name).to.equal(false);
        expect((result['required'] as string[])[0], name).to.equal('formatVersion');
      }
    }
  });

  it('the definitions they share are the same in every file', () => {
    const seen = new Map<string, { file: string; text: string }>();
    for (const name of names) {
      for (const [def, value] of Object.entries(defs(CLI_SCHEMAS[name] as Schema))) {
        if (def === 'result') continue;
        const text = JSON.stringify(value);
        const first = seen.get(def);
        if (first) expect(text, `$defs/${def} of ${name} and ${first.file}`).to.equal(first.text);
        else seen.set(def, { file: name, text });
      }
    }
    expect([...seen.keys()]).to.include.members(['error', 'failure', 'change', 'drift']);
  });

  it('the enums are those of the code', () => {
    expect(enumOf('error', 'error', ['properties', 'code'])).to.deep.equal([...ERROR_CODES]);
    expect(enumOf('check', 'change', ['properties', 'kind'])).to.deep.equal(
      Object.keys(CHANGE_KINDS),
    );
    expect(enumOf('check', 'drift', ['properties', 'kind'])).to.deep.equal([...DIFFERENCE_KINDS]);
    expect(enumOf('check', 'destructiveCode')).to.deep.equal(Object.keys(DESTRUCTIVE_CODES));
  });

  it("timescale-info's result is spec/timescale-info.schema.json with formatVersion", () => {
    const cli = CLI_SCHEMAS['timescale-info'] as Schema;
    const result = defs(cli)['result'] as Schema;
    const library = TIMESCALE_INFO_SCHEMA as Schema;
    expect(result['required']).to.deep.equal([
      'formatVersion',
      ...(library['required'] as string[]),
    ]);
    const { formatVersion, version, ...rest } = result['properties'] as Record<string, Schema>;
    const { version: libraryVersion, ...libraryRest } = library['properties'] as Record<
      string,
      Schema
    >;
    expect(formatVersion).to.deep.equal({ $ref: '#/$defs/formatVersion' });
    expect(version?.['const']).to.equal(libraryVersion?.['const']);
    expect(rest).to.deep.equal(libraryRest);
    for (const [def, value] of Object.entries(defs(library))) {
      expect(defs(cli)[def], def).to.deep.equal(value);
    }
  });

  it('a document that drifts from its schema fails: an extra field, a missing one, a wrong type', () => {
    const check = CLI_SCHEMAS['check'] as Schema;
    const ok = {
      formatVersion: 1,
      upToDate: true,
      lineage: [],
      changes: [{ kind: 'addColumn', table: 't', column: 'c', after: 'text', description: 'x' }],
      destructive: [],
      database: null,
    };
    expect(checkSchema(check, check, ok)).to.deep.equal([]);
    const failing = { ...ok, upToDate: false, error: failure.error };
    expect(checkSchema(check, check, failing)).to.deep.equal([]);
    expect(checkSchema(check, check, failure)).to.deep.equal([]);
    expect(checkSchema(check, check, { ...ok, extra: 1 })).to.include(
      "$: unexpected property 'extra'",
    );
    const withoutLineage: Record<string, unknown> = { ...ok };
    delete withoutLineage['lineage'];
    expect(checkSchema(check, check, withoutLineage)).to.include(
      "$: missing required property 'lineage'",
    );
    expect(
      checkSchema(check, check, { ...ok, changes: [{ kind: 'addColumn', table: 't' }] }),
    ).to.include("$.changes[0]: missing required property 'description'");
    expect(checkSchema(check, check, { ...ok, formatVersion: 2 })).to.include(
      '$.formatVersion: expected 1',
    );
  });

  it('oneOf: a value that matches two branches is refused too', () => {
    const both = { oneOf: [{ type: 'string' }, { type: ['string', 'null'] }] };
    expect(checkSchema(both, both, 'x')).to.deep.equal([
      '$: matches 2 branches of oneOf, expected one',
    ]);
    expect(checkSchema(both, both, null)).to.deep.equal([]);
  });
});

const failure = {
  formatVersion: 1,
  error: {
    code: 'check-failed',
    message: 'the live schema drifts',
    hint: null,
    location: null,
    issues: [],
  },
};
