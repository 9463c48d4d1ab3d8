import { describe, expect, it } from 'vitest';
import { maxActionBodyBytes, parseActionRequest } from '../../../src/monitor/actionRequest';
import { actionRefusal, availableActions } from '../../../src/monitor/instanceActions';

const json = 'application/json';

describe('a monitor action request', () => {
  it('takes a reason for terminate, suspend and resume, with a default', () => {
    expect(
      parseActionRequest({ action: 'terminate', contentType: json, body: '{"reason":"stuck in payment"}' }),
    ).toEqual({
      ok: true,
      request: { action: 'terminate', reason: 'stuck in payment' },
    });
    expect(parseActionRequest({ action: 'suspend', contentType: 'application/json; charset=utf-8', body: '' })).toEqual(
      {
        ok: true,
        request: { action: 'suspend', reason: 'requested in the saga monitor' },
      },
    );
    expect(parseActionRequest({ action: 'resume', contentType: json, body: '{"reason":"  "}' })).toMatchObject({
      request: { reason: 'requested in the saga monitor' },
    });
  });

  it('takes an event name and any JSON data for raiseEvent', () => {
    expect(
      parseActionRequest({ action: 'raiseEvent', contentType: json, body: '{"name":"Approval","data":{"by":"ops"}}' }),
    ).toEqual({
      ok: true,
      request: { action: 'raiseEvent', eventName: 'Approval', eventData: { by: 'ops' } },
    });
    expect(parseActionRequest({ action: 'raiseEvent', contentType: json, body: '{"name":"Ping"}' })).toMatchObject({
      request: { eventData: null },
    });
  });

  it('takes nothing for restart', () => {
    expect(parseActionRequest({ action: 'restart', contentType: json, body: '{}' })).toEqual({
      ok: true,
      request: { action: 'restart' },
    });
    expect(parseActionRequest({ action: 'restart', contentType: json, body: '{"input":{}}' })).toEqual({
      ok: false,
      status: 400,
      errors: [{ path: '$.input', message: 'is not a field of this action' }],
    });
  });

  it('answers 404 for an action that does not exist, and points purge to DELETE', () => {
    expect(parseActionRequest({ action: 'rewind', contentType: json, body: '{}' })).toEqual({
      ok: false,
      status: 404,
      errors: [
        {
          path: 'route:action',
          message: '"rewind" is not an action; use terminate, suspend, resume, restart or raiseEvent',
        },
      ],
    });
    expect(parseActionRequest({ action: 'purge', contentType: json, body: '{}' })).toMatchObject({
      status: 404,
      errors: [{ message: 'purge is DELETE /api/monitor/instances/{id}, not a POST' }],
    });
  });

  it('needs a JSON content type, even for an empty body (a cross-site form cannot send one)', () => {
    for (const contentType of [null, 'text/plain', 'application/x-www-form-urlencoded', 'application/jsonp']) {
      expect(parseActionRequest({ action: 'terminate', contentType, body: '' })).toMatchObject({
        ok: false,
        status: 415,
        errors: [{ path: 'header:Content-Type' }],
      });
    }
  });

  it('refuses bodies that are not JSON objects', () => {
    expect(parseActionRequest({ action: 'terminate', contentType: json, body: '{reason:' })).toMatchObject({
      status: 400,
      errors: [{ path: '$', message: expect.stringMatching(/^body is not valid JSON/) }],
    });
    expect(parseActionRequest({ action: 'terminate', contentType: json, body: '"stop"' })).toMatchObject({
      status: 400,
      errors: [{ path: '$', message: 'must be a JSON object' }],
    });
  });

  it('says which field is wrong', () => {
    expect(parseActionRequest({ action: 'terminate', contentType: json, body: '{"reason":42,"force":true}' })).toEqual({
      ok: false,
      status: 400,
      errors: [
        { path: '$.reason', message: 'must be a string' },
        { path: '$.force', message: 'is not a field of this action' },
      ],
    });
    expect(
      parseActionRequest({ action: 'terminate', contentType: json, body: JSON.stringify({ reason: 'a\nb' }) }),
    ).toMatchObject({
      errors: [{ path: '$.reason', message: 'must be one line without control characters' }],
    });
    expect(parseActionRequest({ action: 'raiseEvent', contentType: json, body: '{}' })).toMatchObject({
      errors: [{ path: '$.name', message: 'is required' }],
    });
    expect(parseActionRequest({ action: 'raiseEvent', contentType: json, body: '{"name":"a/b"}' })).toMatchObject({
      errors: [{ path: '$.name', message: expect.stringMatching(/^must be 1-100 letters/) }],
    });
  });

  it('refuses oversize bodies, also when only the declared length says so', () => {
    const big = JSON.stringify({ name: 'E', data: 'x'.repeat(maxActionBodyBytes) });
    expect(parseActionRequest({ action: 'raiseEvent', contentType: json, body: big })).toMatchObject({ status: 413 });
    expect(
      parseActionRequest({ action: 'raiseEvent', contentType: json, contentLength: '1000000', body: '' }),
    ).toMatchObject({ status: 413 });
  });
});

describe('which actions apply in which runtime status', () => {
  it('offers terminate, suspend and events while running, purge only when finished', () => {
    expect(availableActions('Running')).toEqual({
      terminate: true,
      suspend: true,
      resume: false,
      restart: true,
      purge: false,
      raiseEvent: true,
    });
    expect(availableActions('Suspended')).toEqual({
      terminate: true,
      suspend: false,
      resume: true,
      restart: true,
      purge: false,
      raiseEvent: true,
    });
    expect(availableActions('Completed')).toEqual({
      terminate: false,
      suspend: false,
      resume: false,
      restart: true,
      purge: true,
      raiseEvent: false,
    });
    expect(availableActions('Terminated')).toMatchObject({ terminate: false, purge: true });
  });

  it('explains a refusal in the words of the runtime status', () => {
    expect(actionRefusal('terminate', 'Completed')).toBe(
      'the instance is Completed; terminating needs it to be Pending or Running or Suspended',
    );
    expect(actionRefusal('purge', 'Running')).toBe(
      'the instance is Running; purging needs it to be Completed or Failed or Terminated or Canceled',
    );
    expect(actionRefusal('resume', 'Suspended')).toBeUndefined();
  });
});
