import { HttpRequest, InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { sagaMetrics } from '../../../src/functions/sagaMetrics';

// The time window is checked before the durable client is asked: a date the client cannot put
// into its query string (it writes extended years such as "+275760-…" unencoded, and the "+"
// arrives as a space) must be the caller's 400, not the app's 500.

function get(query: string): HttpRequest {
  return new HttpRequest({ method: 'GET', url: `http://localhost:7071/api/saga-metrics?${query}` });
}

describe('GET /api/saga-metrics (sagaMetrics)', () => {
  it.each([
    ['an extended year', 'createdTo=%2B275760-09-13T00:00:00Z'],
    ['a negative year', 'createdFrom=-000001-01-01T00:00:00Z'],
    ['the year 0', 'createdFrom=0000-01-01T00:00:00Z'],
    ['a time that its offset moves past the year 9999', 'createdTo=9999-12-31T23:30:00-01:00'],
    ['a time without a zone', 'createdFrom=2025-03-01T10:00:00'],
    ['words', 'createdFrom=yesterday'],
  ])('answers 400 naming the parameter for %s', async (_kind, query) => {
    const response = await sagaMetrics(get(query), new InvocationContext());

    expect(response.status).toBe(400);
    expect(response.jsonBody).toEqual({
      errors: [{ path: '$query', message: expect.stringMatching(/^created(From|To) must be an ISO 8601 time/) }],
    });
  });
});
