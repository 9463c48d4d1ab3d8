import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sagaContainerDefinitions } from '../../../src/services/containers';

// The Bicep cannot be deployed from here; what can be checked is that it provisions what the app
// opens: the app never creates containers, so a missing or mis-keyed one fails every saga.

const bicep = readFileSync(path.resolve(__dirname, '../../../infra/app/cosmos.bicep'), 'utf8');

describe('infra/app/cosmos.bicep', () => {
  it('creates every container the app opens, with the same partition key, and no other', () => {
    const declared = [...bicep.matchAll(/\{ name: '([^']+)', partitionKey: '([^']+)' \}/g)].map(([, id, key]) => ({
      id,
      partitionKeyPath: key,
    }));

    expect(declared).toEqual(Object.values(sagaContainerDefinitions));
  });

  it('turns account keys off and gives the listed principals the built-in data contributor role', () => {
    expect(bicep).toMatch(/disableLocalAuth: true/);
    expect(bicep).toContain("var dataContributorRoleId = '00000000-0000-0000-0000-000000000002'");
    expect(bicep).toMatch(/sqlRoleAssignments@[\d-]+' = \[\s*for principalId in dataContributorPrincipalIds:/);
  });
});
