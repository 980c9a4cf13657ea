import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'chai';
import { openApiDocument } from '../../../lib/api/openapi.js';
import { parseSpec } from '../../../lib/spec/load.js';

describe('the OpenAPI document', () => {
  const { spec } = parseSpec(
    readFileSync(resolve('test/fixtures/specs/every-type.yaml'), 'utf8'),
    'every-type.yaml',
  );
  const doc = openApiDocument(spec) as {
    paths: Record<string, { post: { requestBody: { content: Record<string, unknown> } } }>;
  };
  const row = (
    doc.paths['/api/readings']?.post.requestBody.content['application/json'] as {
      schema: { items: { properties: Record<string, unknown>; required: string[] } };
    }
  ).schema.items;

  it('allows null exactly where a field is optional', () => {
    expect(row.properties['device']).to.deep.equal({ type: 'string' });
    expect(row.properties['note']).to.deep.equal({ type: ['string', 'null'] });
    expect(row.properties['total']).to.deep.equal({
      type: ['string', 'null'],
      description: 'bigint, as a string',
    });
    expect(row.properties['level']).to.deep.equal({ type: 'string', enum: ['low', "it's high"] });
    expect(row.properties['day']).to.deep.equal({ type: ['string', 'null'], format: 'date' });
    expect(row.properties['payload']).to.deep.equal({});
    expect(row.required).to.deep.equal(['taken_at', 'device', 'count', 'value', 'price']);
  });

  it('documents which source answered an aggregate query in meta', () => {
    const aggregate = (
      doc.paths['/api/readings/aggregate'] as unknown as {
        get: {
          responses: Record<
            string,
            {
              content: Record<
                string,
                { schema: { properties: { meta: { properties: Record<string, unknown> } } } }
              >;
            }
          >;
        };
      }
    ).get.responses['200']?.content['application/json']?.schema.properties.meta.properties;
    expect(Object.keys(aggregate ?? {})).to.deep.equal(['count', 'bucket', 'source']);
    expect(aggregate?.['source']).to.deep.include({ type: 'string' });
    expect((aggregate?.['source'] as { description: string }).description).to.match(
      /continuous aggregate's view name .* else the model's table name/,
    );
  });
});
