import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import Joi from 'joi';
import { parse } from 'yaml';
import { checkSchema, readSchema } from '../../helpers/json-schema.js';
import { jsonSchemaFromJoi, prismJsonSchema } from '../../../lib/spec/json-schema.js';
import { JSON_SCHEMA_URL, jsonSchemaText } from '../../../lib/spec/write-json-schema.js';

type Schema = { [key: string]: unknown };

function at(schema: unknown, ...path: string[]): Schema {
  let node = schema as Schema;
  for (const part of path) node = node[part] as Schema;
  return node;
}

describe('spec/prism.schema.json', () => {
  it('is exactly what the joi schema generates (run `npm run spec:schema` after changing lib/spec/schema.ts)', async () => {
    const committed: unknown = JSON.parse(await readFile(JSON_SCHEMA_URL, 'utf8'));
    expect(committed).to.deep.equal(prismJsonSchema());
    expect(JSON.parse(jsonSchemaText())).to.deep.equal(committed);
  });

  it('is a draft 2020-12 schema that closes every mapping', () => {
    const schema = prismJsonSchema();
    expect(schema.$schema).to.equal('https://json-schema.org/draft/2020-12/schema');
    const model = at(schema, 'properties', 'models', 'items');
    const field = at(model, 'properties', 'fields', 'items');
    const ts = at(model, 'properties', 'timeseries');
    for (const mapping of [
      schema,
      model,
      field,
      ts,
      at(ts, 'properties', 'compression'),
      at(ts, 'properties', 'indexes', 'items'),
    ]) {
      expect(mapping.additionalProperties).to.equal(false);
    }
    expect(schema.required).to.deep.equal(['models']);
    expect(model.required).to.deep.equal(['name', 'fields']);
    expect(field.required).to.deep.equal(['name']);
    // type or sql_type, exactly one of them.
    expect(field.oneOf).to.deep.equal([{ required: ['type'] }, { required: ['sql_type'] }]);
    expect(ts.required).to.deep.equal(['time_column']);
  });

  it('carries enums, identifier patterns, defaults and the interval alternatives', () => {
    const schema = prismJsonSchema();
    const model = at(schema, 'properties', 'models', 'items');
    const field = at(model, 'properties', 'fields', 'items', 'properties');
    expect(at(schema, 'properties', 'timescale')).to.include({ default: 'auto' });
    expect(at(schema, 'properties', 'timescale').enum).to.deep.equal(['auto', 'require', 'off']);
    expect(at(field, 'type').enum).to.include.members(['uuid', 'datetime', 'enum']);
    expect(at(field, 'name')).to.include({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 63 });
    expect(at(field, 'optional')).to.include({ type: 'boolean', default: false });
    for (const renamedFrom of [at(field, 'renamed_from'), at(model, 'properties', 'renamed_from')])
      expect(renamedFrom).to.include({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 63 });
    const compression = at(
      model,
      'properties',
      'timeseries',
      'properties',
      'compression',
      'properties',
    );
    expect(at(compression, 'enabled').default).to.equal(true);
    expect(at(compression, 'after').anyOf).to.deep.equal([
      { type: 'string', minLength: 1 },
      { type: 'integer', exclusiveMinimum: 0 },
    ]);
  });

  it('the generator refuses joi features it cannot translate instead of dropping them', () => {
    expect(() => jsonSchemaFromJoi(Joi.object({ when: Joi.date() }), 't')).to.throw(
      /joi type 'date' is not supported/,
    );
    expect(() => jsonSchemaFromJoi(Joi.object({ e: Joi.string().email() }), 't')).to.throw(
      /string rule 'email'/,
    );
    const twoPatterns = Joi.object().pattern(/^a/, Joi.number()).pattern(/^b/, Joi.string());
    expect(() => jsonSchemaFromJoi(twoPatterns, 't')).to.throw(/object pattern other than one/);
    expect(() => jsonSchemaFromJoi(Joi.object().pattern(Joi.number(), Joi.string()), 't')).to.throw(
      /object pattern key of type 'number'/,
    );
    expect(() =>
      jsonSchemaFromJoi(Joi.object().pattern(Joi.string().pattern(/^a/i), Joi.string()), 't'),
    ).to.throw(/regex flags 'i'/);
  });

  it('states a mapping keyed by pattern as propertyNames and patternProperties', () => {
    const keyed = Joi.object().pattern(
      Joi.string()
        .pattern(/^[a-z]+$/)
        .max(5),
      Joi.number(),
    );
    expect(jsonSchemaFromJoi(keyed, 't')).to.deep.include({
      type: 'object',
      properties: {},
      propertyNames: { type: 'string', minLength: 1, pattern: '^[a-z]+$', maxLength: 5 },
      patternProperties: { '^[a-z]+$': { type: 'number' } },
      additionalProperties: false,
    });
    const anyKey = Joi.object().pattern(Joi.string(), Joi.boolean());
    expect(jsonSchemaFromJoi(anyKey, 't')).to.deep.include({
      propertyNames: { type: 'string', minLength: 1 },
      additionalProperties: { type: 'boolean' },
    });
  });
});

describe('spec/prism.schema.json accepts what prism.yaml accepts', () => {
  const schema = readSchema('spec/prism.schema.json');
  const check = (document: unknown): string[] => checkSchema(schema, schema, document);
  const metric = {
    name: 'Metric',
    fields: [
      { name: 'time', type: 'datetime' },
      { name: 'value', type: 'double' },
    ],
    timeseries: {
      time_column: 'time',
      chunk_interval: '7 days',
      compression: { after: '30 days' },
      retention: { drop_after: '365 days' },
    },
  };

  for (const file of readdirSync('spec/examples')
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    it(`spec/examples/${file}`, async () => {
      const document: unknown = parse(await readFile(join('spec/examples', file), 'utf8'));
      expect(check(document)).to.deep.equal([]);
    });
  }

  it('environments: per-environment time amounts by model name', () => {
    const spec = {
      models: [metric],
      environments: {
        development: {
          Metric: {
            chunk_interval: '1 day',
            compression: { after: '2 days' },
            retention: { drop_after: '30 days' },
          },
        },
        'ci-test_2': { Metric: { retention: { drop_after: 7 } } },
      },
    };
    expect(check(spec)).to.deep.equal([]);
  });

  it('environments: a bad environment name, model name or key is refused', () => {
    const withEnvironments = (environments: unknown): string[] =>
      check({ models: [metric], environments });
    const badName = withEnvironments({ '2dev': { Metric: { chunk_interval: '1 day' } } });
    expect(badName).to.include("$.environments: property name '2dev' is invalid");
    expect(badName.join('\n')).to.match(/unexpected property '2dev'/);
    expect(withEnvironments({ ['d'.repeat(64)]: {} }).join('\n')).to.match(/longer than 63/);
    expect(withEnvironments({ dev: { 'Bad-Model': {} } }).join('\n')).to.match(
      /property name 'Bad-Model' is invalid/,
    );
    expect(withEnvironments({ dev: { Metric: { drop_after: '1 day' } } })).to.include(
      "$.environments.dev.Metric: unexpected property 'drop_after'",
    );
    expect(withEnvironments({ dev: { Metric: { chunk_interval: 0 } } }).join('\n')).to.match(
      /matches no branch of anyOf/,
    );
    expect(withEnvironments({ dev: 'x' }).join('\n')).to.match(/expected object, got string/);
  });
});
