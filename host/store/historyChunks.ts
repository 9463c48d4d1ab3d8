import type { RowChange } from './loggedRow';

/** The episode number a history row key ends with (`…|H|<execution>|<n>`). */
export function chunkIndexOf(rowKey: string): number {
  return Number(rowKey.slice(rowKey.lastIndexOf('|') + 1));
}

/** How many episodes' events a history row holds (rows a checkpoint merged hold several). */
export function chunksIn(properties: Record<string, unknown>): number {
  return typeof properties.Chunks === 'number' && properties.Chunks > 1 ? properties.Chunks : 1;
}

function isInlineHistory(change: RowChange): boolean {
  return change.rowKey.includes('|H|') && typeof change.properties?.Events === 'string';
}

/**
 * A checkpoint writes an instance's consecutive history rows as one row, at the first one's key
 * with `Chunks` telling how many episodes it holds: a saga's episodes cost the table one row, not
 * one each. Rows whose events live in a blob, and merges that would outgrow `inlineLimit`, stay
 * as they are. The result depends only on the changes given, so a checkpoint that is repeated
 * after a crash writes the same rows.
 */
export function mergeHistoryRows(changes: RowChange[], inlineLimit: number): RowChange[] {
  const others: RowChange[] = [];
  const history = changes.filter((c) => {
    if (isInlineHistory(c)) return true;
    others.push(c);
    return false;
  });
  history.sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1));
  const merged: RowChange[] = [];
  let run:
    { first: RowChange; prefix: string; next: number; bodies: string[]; length: number; chunks: number } | undefined;
  const close = (): void => {
    if (!run) return;
    merged.push(
      run.chunks === 1
        ? run.first
        : {
            partitionKey: run.first.partitionKey,
            rowKey: run.first.rowKey,
            properties: {
              Kind: 'H',
              Events: `[${run.bodies.filter((b) => b.length > 0).join(',')}]`,
              Chunks: run.chunks,
            },
          },
    );
    run = undefined;
  };
  for (const change of history) {
    const text = String(change.properties?.Events);
    const body = text.slice(1, -1);
    const prefix = change.rowKey.slice(0, change.rowKey.lastIndexOf('|') + 1);
    const index = chunkIndexOf(change.rowKey);
    const fits = run !== undefined && run.length + body.length + 1 <= inlineLimit;
    if (run?.prefix === prefix && run.next === index && fits) {
      run.bodies.push(body);
      run.length += body.length + 1;
      run.next++;
      run.chunks++;
      continue;
    }
    close();
    run = { first: change, prefix, next: index + 1, bodies: [body], length: text.length, chunks: 1 };
  }
  close();
  return [...others, ...merged];
}
