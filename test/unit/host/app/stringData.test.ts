import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringData, type RpcTypedData } from '../../../../host/app/appInvocation';

/** How the Node worker (@azure/functions fromRpcTypedData) reads string and json typed data. */
function readAsWorker(data: RpcTypedData): unknown {
  if ('string' in data) {
    try {
      return JSON.parse(data.string) as unknown;
    } catch {
      return data.string;
    }
  }
  if ('json' in data) return JSON.parse(data.json) as unknown;
  throw new Error('not string or json data');
}

describe('a string sent to the language worker', () => {
  it('reads back as the worker reads the plain string, whatever the text', () => {
    const jsonish = fc.oneof(
      fc.json(),
      fc.string(),
      fc.constantFrom('42', '-0.5e3', '01', '1.', ' true ', 'nul', '{"a":1', '[1', 'order-7', '"x"', ''),
    );
    fc.assert(
      fc.property(jsonish, (text) => {
        expect(readAsWorker(stringData(text))).toEqual(readAsWorker({ string: text }));
      }),
      { numRuns: 2000 },
    );
  });

  it('goes as JSON when it is no JSON, so the worker reads it without a failed parse', () => {
    expect(stringData('4f0c2a9e1b7d4c3aa1b2c3d4e5f60718')).toEqual({ json: '"4f0c2a9e1b7d4c3aa1b2c3d4e5f60718"' });
    expect(stringData('42')).toEqual({ string: '42' });
  });
});
