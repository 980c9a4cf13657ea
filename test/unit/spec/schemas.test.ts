/** `schema:` on a model: the identifier rule, `public` as the default, names per schema. */
import { expect } from 'chai';
import { parseSpec } from '../../../lib/spec/load.js';
import { issuesOf } from '../../helpers/spec-issues.js';

const model = (
  name: string,
  extra: string,
  fields = '[{ name: id, type: int, primary_key: true }]',
) => `  - { name: ${name}, ${extra}fields: ${fields} }`;

describe('spec/schemas', () => {
  it('keeps a schema other than public on the model, and leaves public out', () => {
    const { spec } = parseSpec(
      ['models:', model('Device', 'schema: telemetry, '), model('User', 'schema: public, ')].join(
        '\n',
      ),
      'prism.yaml',
    );
    expect(spec.models.map((m) => [m.name, m.schema])).to.deep.equal([
      ['Device', 'telemetry'],
      ['User', undefined],
    ]);
    expect(Object.keys(spec.models[1] ?? {})).not.to.include('schema');
  });

  it('refuses a schema that is not an identifier, at its place', () => {
    const issues = issuesOf(['models:', model('Device', "schema: 'tele.metry', ")].join('\n'));
    expect(issues.map((i) => [i.line, i.column, i.message])).to.deep.equal([
      [2, 29, '"tele.metry" is not a valid schema name'],
    ]);
  });

  it('allows one table name in two schemas, and refuses it twice in one', () => {
    const { spec } = parseSpec(
      [
        'models:',
        model('Device', 'schema: telemetry, table: device, '),
        model('Device2', 'table: device, '),
      ].join('\n'),
      'prism.yaml',
    );
    expect(spec.models.map((m) => `${m.schema ?? 'public'}.${m.table}`)).to.deep.equal([
      'telemetry.device',
      'public.device',
    ]);
    const issues = issuesOf(
      [
        'models:',
        model('Device', 'schema: telemetry, table: device, '),
        model('Device2', 'schema: telemetry, table: device, '),
      ].join('\n'),
    );
    expect(issues.map((i) => [i.line, i.message])[0]).to.deep.equal([
      3,
      "duplicate table name 'telemetry.device' (first at line 2, column 47)",
    ]);
  });

  it('checks index and primary-key names per schema', () => {
    const fields =
      '[{ name: id, type: int, primary_key: true }, { name: v, type: int, index: true }]';
    // The same names in two schemas: no collision.
    parseSpec(
      [
        'models:',
        model('A', 'schema: one, table: t, ', fields),
        model('B', 'schema: two, table: t, ', fields),
      ].join('\n'),
      'prism.yaml',
    );
    // In one schema, an index may not take the name of another table there.
    const issues = issuesOf(
      [
        'models:',
        model('A', 'schema: one, table: t_v_idx, '),
        model('B', 'schema: one, table: t, ', fields),
      ].join('\n'),
    );
    expect(issues.map((i) => i.message)).to.deep.equal([
      "the index of field 'v' of table 't' is named 't_v_idx', which is already the name of table 't_v_idx' (first at line 2, column 36)",
    ]);
  });
});
