import { describe, expect, it } from 'vitest';
import { statusPayload, statusText } from '../../../../host/durable/api/statusPayload';
import type { InstanceRecord } from '../../../../host/store/taskHubStore';

const running = (): InstanceRecord => ({
  instanceId: 'order-1',
  name: 'sagaOrchestrator',
  version: '3.0',
  executionId: 'e1',
  runtimeStatus: 'Running',
  createdTime: new Date('2026-12-07T05:00:00.123Z'),
  lastUpdatedTime: new Date('2026-12-07T05:00:01.456Z'),
  completedTime: null,
  input: '{"order":{"id":"o-1"}}',
  output: null,
  customStatus: '{"phase":"running"}',
  parent: null,
  generation: 0,
  historyChunks: 2,
});

const payloadText = (record: InstanceRecord, showInput: boolean): string =>
  JSON.stringify(statusPayload(record, { showInput, showHistory: false, showHistoryOutput: false }));

describe('the status text a poll is answered with', () => {
  it('is the status payload, with or without the input', () => {
    const record = running();
    expect(statusText(record, true)).toBe(payloadText(record, true));
    expect(statusText(record, false)).toBe(payloadText(record, false));
    expect(JSON.parse(statusText(record, false))).toMatchObject({ input: null, customStatus: { phase: 'running' } });
  });

  it('follows a record changed in place, field by field', () => {
    const record = running();
    const first = statusText(record, true);
    record.customStatus = '{"phase":"compensating"}';
    expect(statusText(record, true)).toBe(payloadText(record, true));
    record.runtimeStatus = 'Completed';
    record.output = '{"status":200}';
    record.lastUpdatedTime = new Date('2026-12-07T05:00:09Z');
    expect(statusText(record, true)).toBe(payloadText(record, true));
    expect(statusText(record, true)).not.toBe(first);
    // Another object with the same fields has the same text.
    expect(statusText({ ...record }, true)).toBe(statusText(record, true));
  });
});
