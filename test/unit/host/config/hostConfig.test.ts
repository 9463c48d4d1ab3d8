import { describe, expect, it } from 'vitest';
import { applyHostJsonOverrides } from '../../../../host/config/hostConfig';

describe('host.json overrides from app settings', () => {
  it('sets nested values, matching existing keys case-insensitively', () => {
    const hostJson: Record<string, unknown> = { extensions: { durableTask: { hubName: 'A' } } };
    applyHostJsonOverrides(hostJson, {
      AzureFunctionsJobHost__extensions__durableTask__defaultVersion: '2.0',
      azurefunctionsjobhost__Extensions__DurableTask__HubName: 'B',
      AzureFunctionsJobHost__extensions__http__routePrefix: 'v2',
      UNRELATED: 'x',
    });
    expect(hostJson).toEqual({
      extensions: { durableTask: { hubName: 'B', defaultVersion: '2.0' }, http: { routePrefix: 'v2' } },
    });
  });
});
