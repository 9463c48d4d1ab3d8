import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringData } from '../../../../host/app/appInvocation';
import { valueOf as readAsWorker } from '../../../../host/bindings/bindingData';

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
