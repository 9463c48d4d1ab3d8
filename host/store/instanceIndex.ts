/**
 * The instance rows a hub holds, by row key, so the store can tell an id that is free without
 * asking the table: a client's own ids (an `Idempotency-Key`) are looked up and then created at
 * each start, and those table round trips were most of Azurite's work per saga. The index only
 * ever answers "certainly absent"; a row it lists may be gone (a purge racing the load), which
 * costs a table read as before, never a wrong answer. It is exact because the store is the hub's
 * only writer (it holds the hub's lease) and adds every row before it creates it.
 */
export class InstanceIndex {
  private readonly rows = new Set<string>();
  private state: 'loading' | 'loaded' | 'given up' = 'loading';
  private readonly settled: Promise<boolean>;
  private settle: (loaded: boolean) => void = () => undefined;

  /** `limit`: past this many instances the index gives up (memory) and the table is asked again. */
  constructor(private readonly limit: number) {
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  /** Takes in every instance row key the table holds; until this ends, nothing is known to be absent. */
  async load(rowKeys: AsyncIterable<string>): Promise<void> {
    for await (const rowKey of rowKeys) {
      if (this.state !== 'loading') return;
      this.add(rowKey);
    }
    if (this.state !== 'loading') return;
    this.state = 'loaded';
    this.settle(true);
  }

  /** No load will end (it failed, or the store closes): nothing is known to be absent. */
  giveUp(): void {
    this.state = 'given up';
    this.rows.clear();
    this.settle(false);
  }

  /** Resolves whether the index came to hold the whole hub. */
  whenLoaded(): Promise<boolean> {
    return this.settled;
  }

  /** Before a row is created: from then on the id is taken, whether the write lands or not. */
  add(rowKey: string): void {
    if (this.state === 'given up') return;
    this.rows.add(rowKey);
    if (this.rows.size > this.limit) this.giveUp();
  }

  /** Once a purge removed the row from the table and the log. */
  delete(rowKey: string): void {
    this.rows.delete(rowKey);
  }

  isKnownAbsent(rowKey: string): boolean {
    return this.state === 'loaded' && !this.rows.has(rowKey);
  }
}
