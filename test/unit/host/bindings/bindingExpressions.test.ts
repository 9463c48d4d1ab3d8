import { describe, expect, it } from 'vitest';
import { resolveAppSettings, resolveBindingPath } from '../../../../host/bindings/bindingExpressions';
import { decodeQueueMessage, encodeQueueMessage } from '../../../../host/bindings/queueMessageText';

const now = new Date('2026-01-02T03:04:05.000Z');

describe('binding paths resolved from trigger data', () => {
  it('fills names, dotted names and matches them case-insensitively', () => {
    const data = { tenant: 'acme', Id: 'm-1', query: { name: 'x' } };
    expect(resolveBindingPath('receipts/{tenant}/{id}-{query.name}.json', data, now)).toBe('receipts/acme/m-1-x.json');
  });

  it('offers {rand-guid}, {sys.randguid}, {DateTime} and {sys.utcnow}', () => {
    expect(resolveBindingPath('out/{rand-guid}', {}, now)).toMatch(/^out\/[0-9a-f-]{36}$/);
    expect(resolveBindingPath('out/{sys.randguid}', {}, now)).toMatch(/^out\/[0-9a-f-]{36}$/);
    expect(resolveBindingPath('out/{DateTime}', {}, now)).toBe('out/2026-01-02T03:04:05.000Z');
    expect(resolveBindingPath('out/{sys.utcnow}', {}, now)).toBe('out/2026-01-02T03:04:05.000Z');
  });

  it('names the parameter the trigger did not carry', () => {
    expect(() => resolveBindingPath('out/{missing}', { other: 1 }, now)).toThrow(
      "No value for named parameter 'missing'.",
    );
    expect(() => resolveBindingPath('out/{nested}', { nested: { a: 1 } }, now)).toThrow(/'nested'/);
  });

  it('resolves %settings% from the app settings', () => {
    expect(resolveAppSettings('%QUEUE%-items', { QUEUE: 'orders' })).toBe('orders-items');
    expect(() => resolveAppSettings('%NOPE%', {})).toThrow(
      `'%NOPE%' does not resolve to a value: app setting "NOPE" is not set.`,
    );
  });
});

describe('queue message text', () => {
  it('is written base64, like the extension', () => {
    expect(encodeQueueMessage('{"a":1}')).toBe(Buffer.from('{"a":1}').toString('base64'));
  });

  it('reads base64 back, and takes text that is not base64 as it is', () => {
    expect(decodeQueueMessage(encodeQueueMessage('héllo {}'))).toBe('héllo {}');
    expect(decodeQueueMessage('{"plain":"json"}')).toBe('{"plain":"json"}');
    expect(decodeQueueMessage('hello world')).toBe('hello world');
  });
});
