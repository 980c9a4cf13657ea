import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import Joi from 'joi';
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
  });
});
