import { describe, expect, it } from 'vitest';
import { azureStorageHistoryTable, escapePartitionKey } from '../../../host/replay/taskHub/azureStorageLayoutHistory';

// The keys under which a deployed app's Azure Storage task hub keeps an instance's history.

describe('the Durable Task Azure Storage provider layout', () => {
  it('escapes instance ids for the PartitionKey as DTFx KeySanitation does', () => {
    expect(escapePartitionKey('order-1')).toBe('order-1');
    expect(escapePartitionKey('a/b\\c#d?e^f')).toBe('a^0b^1c^2d^3e^^f');
    // Control characters are shifted by 'À' (U+00C0) behind the escape character.
    expect(escapePartitionKey('x\u0001y\u007f')).toBe(
      `x^${String.fromCharCode(0xc1)}y^${String.fromCharCode(0xc0 + 0x7f)}`,
    );
  });

  it('names the history table after the hub, as given', () => {
    expect(azureStorageHistoryTable('DurableSagaHub')).toBe('DurableSagaHubHistory');
  });
});
