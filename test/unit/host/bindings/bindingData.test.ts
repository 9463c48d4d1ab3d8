import { describe, expect, it } from 'vitest';
import type { RegisteredFunction } from '../../../../host/app/functionRegistry';
import { bindingDataOf } from '../../../../host/bindings/bindingData';
import { resolveBindingPath } from '../../../../host/bindings/bindingExpressions';
import { isDisabled } from '../../../../host/triggers/triggerInvocations';

const fn = { name: 'copyFile' } as RegisteredFunction;

describe('the data binding paths can name', () => {
  it('offers an HTTP request its route parameters, query, headers and JSON body properties', () => {
    const body = new TextEncoder().encode('{"tenant":"acme","folder":"from-body"}');
    const data = bindingDataOf({
      fn,
      trigger: {
        http: {
          params: { folder: 'recipes' },
          query: { name: 'pancakes' },
          headers: { 'x-tenant': 't1' },
          body: { bytes: body },
        },
      },
    });
    expect(data).toMatchObject({
      tenant: 'acme',
      folder: 'recipes',
      query: { name: 'pancakes' },
      headers: { 'x-tenant': 't1' },
    });
  });

  it('offers a request that went to the worker’s proxy the same names, from its trigger metadata', () => {
    const data = bindingDataOf({
      fn,
      trigger: { http: {} },
      triggerMetadata: {
        folder: { string: 'recipes' },
        name: { string: 'pancakes' },
        Query: { json: '{"name":"pancakes"}' },
        Headers: { json: '{"x-tenant":"t1"}' },
      },
    });
    expect(resolveBindingPath('{headers.x-tenant}/{folder}/{query.name}', data, new Date())).toBe(
      't1/recipes/pancakes',
    );
  });

  it("offers an activity its input's properties and the trigger metadata", () => {
    const data = bindingDataOf({
      fn,
      trigger: { json: '{"backupPath":"docs/a.md"}' },
      triggerMetadata: { instanceId: { string: 'abc' }, DequeueCount: { json: '2' } },
    });
    expect(data).toEqual({ backupPath: 'docs/a.md', instanceId: 'abc', DequeueCount: 2 });
  });

  it('offers nothing from a payload that is not a JSON object', () => {
    expect(bindingDataOf({ fn, trigger: { string: 'plain text' } })).toEqual({});
  });
});

describe('AzureWebJobs.<name>.Disabled', () => {
  it('switches a trigger off with true or 1, in the dotted or the underscore form', () => {
    expect(isDisabled(fn, { 'AzureWebJobs.copyFile.Disabled': 'true' })).toBe(true);
    expect(isDisabled(fn, { AzureWebJobs_copyFile_Disabled: '1' })).toBe(true);
    expect(isDisabled(fn, { 'AzureWebJobs.copyFile.Disabled': 'false' })).toBe(false);
    expect(isDisabled(fn, {})).toBe(false);
  });
});
