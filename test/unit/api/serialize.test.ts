import { expect } from 'chai';
import { serializer } from '../../../lib/api/server.js';
import { parseSpec } from '../../../lib/spec/load.js';
import type { Model } from '../../../lib/spec/types.js';

const SPEC = `
models:
  - name: Meter
    fields:
      - { name: at, type: timestamp }
      - { name: seen, type: datetime }
      - { name: raw, type: bytea, optional: true }
      - { name: stamps, type: timestamp, array: true, optional: true }
      - { name: blobs, type: bytea, array: true, optional: true }
    timeseries: { time_column: at }
`;

describe('REST API rows as JSON', () => {
  const model = parseSpec(SPEC, 'prism.yaml').spec.models[0] as Model;
  const serialize = serializer(model);

  it('writes timestamps without time zone as their clock, bytea as base64, arrays alike', () => {
    // pg reads a timestamp as a Date of that clock in this process's zone.
    const clock = new Date(2026, 0, 2, 3, 4, 5, 6);
    const [row] = serialize([
      {
        at: clock,
        seen: new Date('2026-01-02T03:04:05.006Z'),
        raw: Buffer.from([0, 255]),
        stamps: [clock, null],
        blobs: [Buffer.from('hi')],
      },
    ]);
    expect(row).to.deep.equal({
      at: '2026-01-02T03:04:05.006',
      seen: '2026-01-02T03:04:05.006Z',
      raw: 'AP8=',
      stamps: ['2026-01-02T03:04:05.006', null],
      blobs: ['aGk='],
    });
  });

  it('writes the buckets of a timestamp time column as their clock too', () => {
    const [row] = serialize([{ bucket: new Date(2026, 0, 2), count_raw: 3 }]);
    expect(row).to.deep.equal({ bucket: '2026-01-02T00:00:00.000', count_raw: 3 });
  });
});
