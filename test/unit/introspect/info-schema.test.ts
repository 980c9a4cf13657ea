/** The --json shape of timescale-info: the schema checker on fixtures. */
import { expect } from 'chai';
import { embeddedFixture, notInstalledFixture, serverFixture } from './format-info.test.js';
import {
  checkSchema,
  checkTimescaleInfoSchema,
  resolveRef,
  TIMESCALE_INFO_SCHEMA,
} from '../../helpers/json-schema.js';

describe('spec/timescale-info.schema.json', () => {
  it('is a draft 2020-12 schema whose $refs all resolve', () => {
    expect(TIMESCALE_INFO_SCHEMA['$schema']).to.equal(
      'https://json-schema.org/draft/2020-12/schema',
    );
    const refs = JSON.stringify(TIMESCALE_INFO_SCHEMA).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).to.be.greaterThan(0);
    for (const r of refs) resolveRef(TIMESCALE_INFO_SCHEMA, JSON.parse(`{${r}}`).$ref as string);
  });

  it('accepts the format fixtures', () => {
    expect(checkTimescaleInfoSchema(embeddedFixture)).to.deep.equal([]);
    expect(checkTimescaleInfoSchema(serverFixture)).to.deep.equal([]);
    expect(checkTimescaleInfoSchema(notInstalledFixture)).to.deep.equal([]);
  });

  it('rejects missing, unexpected and mistyped properties', () => {
    const broken = JSON.parse(JSON.stringify(embeddedFixture)) as Record<string, unknown> & {
      hypertables: Record<string, unknown>[];
    };
    delete broken['plainTables'];
    broken['extra'] = 1;
    const h = broken.hypertables[0] as Record<string, unknown> & {
      compression: Record<string, unknown>;
      jobs: Record<string, unknown>[];
    };
    h['chunks'] = '59';
    h.compression['ratio'] = 'high';
    (h.jobs[0] as Record<string, unknown>)['kind'] = 'vacuum';
    h['range'] = { from: '2025-01-01T00:00:00.000Z' };
    expect(checkTimescaleInfoSchema(broken)).to.deep.equal([
      "$: missing required property 'plainTables'",
      '$.hypertables[0].chunks: expected integer, got string',
      "$.hypertables[0].range: missing required property 'to'",
      '$.hypertables[0].compression.ratio: expected number or null, got string',
      '$.hypertables[0].jobs[0].kind: "vacuum" is not one of ["compression","retention","reorder","other"]',
      "$: unexpected property 'extra'",
    ]);
  });

  it('refuses a schema keyword the checker does not implement', () => {
    expect(() => checkSchema({}, { contains: { type: 'string' } }, 'a')).to.throw(
      /does not implement/,
    );
  });
});
