import { expect } from 'chai';
import {
  clientErrorReply,
  databaseRefusal,
  errorReply,
  parseKeyDetail,
  scrubDatabaseText,
} from '../../../lib/api/errors.js';
import { DatabaseError, UsageError } from '../../../lib/errors.js';
import type { Model } from '../../../lib/spec/types.js';

const model = {
  name: 'DataPoint',
  table: 'datapoint',
  fields: ['id', 'timestamp', 'source', 'value', 'device_id'].map((name) => ({ name })),
} as unknown as Model;

describe('API errors', () => {
  it('reads the key columns and values of a key detail, quoted names included', () => {
    expect(
      parseKeyDetail(
        'Key (id, "timestamp")=(00000000-0000-4000-8000-000000000001, 2026-01-01 00:00:00+00) already exists.',
      ),
    ).to.deep.equal({
      columns: ['id', 'timestamp'],
      values: '00000000-0000-4000-8000-000000000001, 2026-01-01 00:00:00+00',
      rest: 'already exists.',
    });
    expect(
      parseKeyDetail('Key ("a ""b"", c", lower(name))=(1, x) already exists.')?.columns,
    ).to.deep.equal(['a "b", c', 'lower(name)']);
    expect(parseKeyDetail('Schlüssel (id)=(1) existiert bereits.')).to.equal(undefined);
    expect(parseKeyDetail('Key (id')).to.equal(undefined);
  });

  it('answers a duplicate key 409 naming the key fields, never a constraint or chunk', () => {
    for (const constraint of ['datapoint_pkey', '1_datapoint_pkey', '1_1_datapoint_pkey']) {
      const reply = databaseRefusal(
        {
          code: '23505',
          message: `duplicate key value violates unique constraint "${constraint}"`,
          detail: 'Key (id, "timestamp")=(5, 2026-01-01 00:00:00+00) already exists.',
          constraint,
          table: '_hyper_1_1_chunk',
        },
        model,
      );
      expect(reply).to.deep.equal({
        status: 409,
        body: {
          error: {
            message: 'a row with this id and timestamp already exists',
            hint: '(id, timestamp) = (5, 2026-01-01 00:00:00+00); no row of this request was stored',
          },
        },
      });
    }
    const bare = databaseRefusal(
      { code: '23505', message: 'duplicate key value violates unique constraint "1_x_key"' },
      model,
    );
    expect(bare?.status).to.equal(409);
    expect(JSON.stringify(bare)).to.not.match(/1_x_key|_key|constraint "/);
    expect(
      databaseRefusal({ code: '23505', detail: 'Key (source)=(a) already exists.' }, model)?.body
        .error.message,
    ).to.equal('a row with this source already exists');
  });

  it('says other integrity refusals in the model’s terms', () => {
    const chunky = {
      message: 'violates something on "_hyper_1_1_chunk" named "1_1_datapoint_value_check"',
      table: '_hyper_1_1_chunk',
      constraint: '1_1_datapoint_value_check',
    };
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...chunky, code: '23502', column: 'value' }, 400, 'field value must not be null'],
      [
        {
          ...chunky,
          code: '23503',
          detail: 'Key (device_id)=(7) is not present in table "device".',
        },
        409,
        'no device row has this device_id',
      ],
      [{ ...chunky, code: '23514' }, 400, 'a row fails a check of table datapoint'],
      [{ ...chunky, code: '23P01' }, 409, 'a row conflicts with another row of datapoint'],
      [{ ...chunky, code: '23000' }, 400, 'the database refused a row of datapoint'],
    ];
    for (const [error, status, message] of cases) {
      const reply = databaseRefusal(error, model);
      expect(reply?.status, String(error['code'])).to.equal(status);
      expect(reply?.body.error.message, String(error['code'])).to.equal(message);
      expect(JSON.stringify(reply)).to.not.match(/_hyper_|_check|_chunk/);
    }
  });

  it('passes data exceptions on without chunk or constraint names', () => {
    expect(
      scrubDatabaseText(
        'new row for relation "_hyper_3_12_chunk" violates unique constraint "1_datapoint_pkey" and check constraint "constraint_4" of index "2_3_datapoint_idx"',
        'datapoint',
      ),
    ).to.equal(
      'new row for relation "datapoint" violates unique constraint of datapoint and check constraint of datapoint of index of datapoint',
    );
    // A value the user sent stays as it was, even when it looks like a chunk's constraint.
    expect(scrubDatabaseText('invalid input syntax for type uuid: "1_abc"', 'datapoint')).to.equal(
      'invalid input syntax for type uuid: "1_abc"',
    );
    expect(
      databaseRefusal(
        {
          code: '22003',
          message: 'numeric field overflow',
          detail:
            'A field with precision 5, scale 2 must round to an absolute value less than 10^3.',
          column: 'value',
        },
        model,
      ),
    ).to.deep.equal({
      status: 400,
      body: {
        error: {
          message: 'field value: numeric field overflow',
          hint: 'A field with precision 5, scale 2 must round to an absolute value less than 10^3.',
        },
      },
    });
    expect(databaseRefusal({ code: '57014' })?.status).to.equal(503);
    expect(databaseRefusal({ code: '08006' })).to.equal(undefined);
    expect(databaseRefusal(new Error('x'))).to.equal(undefined);
  });

  it('gives every error one shape, Fastify’s included', () => {
    const shape =
      (status: number, message: RegExp | string) => (reply: ReturnType<typeof errorReply>) => {
        expect(reply.status).to.equal(status);
        expect(Object.keys(reply.body)).to.deep.equal(['error']);
        expect(Object.keys(reply.body.error)).to.deep.equal(['message', 'hint']);
        if (typeof message === 'string') expect(reply.body.error.message).to.equal(message);
        else expect(reply.body.error.message).to.match(message);
      };
    shape(400, 'bad')(errorReply(new UsageError('bad', { hint: 'h' })));
    shape(503, 'down')(errorReply(new DatabaseError('down')));
    const fastify = (code: string, statusCode: number) =>
      Object.assign(new Error('Fastify says'), { code, statusCode });
    shape(
      413,
      'the body is larger than 16 MiB',
    )(errorReply(fastify('FST_ERR_CTP_BODY_TOO_LARGE', 413), { bodyLimit: 16 * 1024 * 1024 }));
    shape(
      415,
      'the content type "text/csv" is not accepted',
    )(errorReply(fastify('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), { contentType: 'text/csv' }));
    shape(
      415,
      'the body has no Content-Type header',
    )(errorReply(fastify('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)));
    shape(400, /^the URL is not valid/)(errorReply(fastify('FST_ERR_BAD_URL', 400)));
    shape(400, /Content-Length/)(errorReply(fastify('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400)));
    shape(418, 'Fastify says')(errorReply(fastify('FST_ERR_SOMETHING_NEW', 418)));
    shape(500, 'the server could not answer this request')(errorReply(new TypeError('oops')));
    shape(500, 'the server could not answer this request')(errorReply(undefined));
    shape(431, /headers are larger than/)(clientErrorReply({ code: 'HPE_HEADER_OVERFLOW' }));
    shape(408, /too long to arrive/)(clientErrorReply({ code: 'ERR_HTTP_REQUEST_TIMEOUT' }));
    shape(400, /not valid HTTP/)(clientErrorReply({ code: 'HPE_INVALID_METHOD' }));
  });

  it('answers 503 with Retry-After when the database cannot serve the request now', () => {
    for (const error of [
      { code: '53300', message: 'sorry, too many clients already' },
      { code: '57P01', message: 'terminating connection due to administrator command' },
      { code: '08006', message: 'connection failure' },
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
      new Error('Query read timeout'),
      new Error('Client has encountered a connection error and is not queryable'),
    ]) {
      const reply = errorReply(error);
      expect(reply.status, JSON.stringify(error)).to.equal(503);
      expect(reply.headers).to.deep.equal({ 'retry-after': '5' });
      expect(reply.body.error.message).to.equal('the database is not available right now');
    }
    expect(errorReply(new Error('something else')).status).to.equal(500);
  });
});
