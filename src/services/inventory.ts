import { Container } from '@azure/cosmos';
import { BusinessReason, CompensationResult } from '../saga/activityContract';
import { OrderLine } from '../saga/orderInput';
import { Decision, updateOptimistically } from './optimisticUpdate';
import { deadlinePassed, deadlinePassedReason, pruneMarkers } from './sagaMarkers';

// Step A: reserve stock. One document per SKU (partition key /sku) holds the available count and,
// per saga, the hold it placed ("holds") or the fact that the saga was compensated ("releases").
// The release marker fences off a late or duplicated reservation from a saga already compensated,
// so an activity delivered twice cannot leave stock held for an order that no longer exists.

export interface StockHold {
  readonly quantity: number;
  readonly at: string;
}

export interface StockDocument {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly available: number;
  readonly reserved: number;
  readonly holds: Readonly<Record<string, StockHold>>;
  /** Saga id → when it was released (or fenced off before it ever reserved). */
  readonly releases: Readonly<Record<string, string>>;
}

export type ReserveStockResult =
  { readonly ok: true; readonly reservationId: string } | { readonly ok: false; readonly reason: BusinessReason };

export function newStockDocument(sku: string, name: string, available: number): StockDocument {
  return { id: sku, sku, name, available, reserved: 0, holds: {}, releases: {} };
}

export function reservationId(sagaId: string): string {
  return `reservation-${sagaId}`;
}

/**
 * Reserves every line or none: when a line cannot be reserved, the holds this saga placed on the
 * other lines are taken back before the business failure is returned, so a refused step has no
 * effect and needs no compensation.
 */
export async function reserveStock(
  container: Container,
  sagaId: string,
  lines: readonly OrderLine[],
  now: Date = new Date(),
  deadlineAt?: Date,
): Promise<ReserveStockResult> {
  const held: OrderLine[] = [];
  // A fixed order keeps two sagas over the same SKUs from each holding what the other needs next.
  for (const line of [...lines].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))) {
    const outcome = await updateOptimistically<StockDocument, LineOutcome>(
      container,
      { id: line.sku, partitionKey: line.sku },
      (stock) => decideReserve(stock, sagaId, line, now, deadlineAt),
      { operation: `reserve ${line.sku} for ${sagaId}` },
    );
    if (outcome.kind === 'refused') {
      await takeBackHolds(container, sagaId, held, now);
      return { ok: false, reason: outcome.reason };
    }
    held.push(line);
  }
  return { ok: true, reservationId: reservationId(sagaId) };
}

/** Compensation of step A. Idempotent; releasing what was never reserved succeeds and changes no stock. */
export async function releaseStock(
  container: Container,
  sagaId: string,
  lines: readonly OrderLine[],
  now: Date = new Date(),
): Promise<CompensationResult> {
  let released = false;
  for (const line of lines) {
    const effect = await updateOptimistically<StockDocument, CompensationResult['effect']>(
      container,
      { id: line.sku, partitionKey: line.sku },
      (stock) => decideRelease(stock, sagaId, now),
      { operation: `release ${line.sku} for ${sagaId}` },
    );
    released ||= effect === 'undone';
  }
  return { effect: released ? 'undone' : 'nothing-to-undo' };
}

type LineOutcome = { readonly kind: 'held' } | { readonly kind: 'refused'; readonly reason: BusinessReason };

export function decideReserve(
  stock: StockDocument | undefined,
  sagaId: string,
  line: OrderLine,
  now: Date,
  deadlineAt?: Date,
): Decision<StockDocument, LineOutcome> {
  if (stock === undefined) {
    return refuse({ code: 'unknown-sku', message: `${line.sku} is not a product we sell` });
  }
  if (stock.releases[sagaId] !== undefined) {
    return refuse({
      code: 'reservation-cancelled',
      message: `the reservation of ${line.sku} for this order was already cancelled`,
    });
  }
  if (stock.holds[sagaId] !== undefined) return { kind: 'keep', result: { kind: 'held' } };
  if (deadlineAt !== undefined && deadlinePassed(now, deadlineAt)) return refuse(deadlinePassedReason(deadlineAt));
  if (stock.available < line.quantity) {
    return refuse({
      code: 'insufficient-stock',
      message: `${line.sku}: ${line.quantity} requested, ${stock.available} available`,
    });
  }
  const at = now.toISOString();
  return {
    kind: 'write',
    document: {
      ...stock,
      available: stock.available - line.quantity,
      reserved: stock.reserved + line.quantity,
      holds: { ...pruneHolds(stock.holds, now), [sagaId]: { quantity: line.quantity, at } },
      releases: pruneReleases(stock.releases, now),
    },
    result: { kind: 'held' },
  };
}

export function decideRelease(
  stock: StockDocument | undefined,
  sagaId: string,
  now: Date,
): Decision<StockDocument, CompensationResult['effect']> {
  // An unknown SKU was never reserved, and no reservation of it can ever succeed: nothing to fence.
  if (stock === undefined) return { kind: 'keep', result: 'nothing-to-undo' };
  if (stock.releases[sagaId] !== undefined && stock.holds[sagaId] === undefined) {
    return { kind: 'keep', result: 'nothing-to-undo' };
  }
  const hold = stock.holds[sagaId];
  const releases = { ...pruneReleases(stock.releases, now), [sagaId]: now.toISOString() };
  if (hold === undefined) {
    return { kind: 'write', document: { ...stock, releases }, result: 'nothing-to-undo' };
  }
  return {
    kind: 'write',
    document: {
      ...stock,
      available: stock.available + hold.quantity,
      reserved: stock.reserved - hold.quantity,
      holds: withoutKey(pruneHolds(stock.holds, now), sagaId),
      releases,
    },
    result: 'undone',
  };
}

/** Undo of the saga's own partial reservation inside doActivityA: no fence, the saga goes on. */
function decideTakeBack(
  stock: StockDocument | undefined,
  sagaId: string,
  now: Date,
): Decision<StockDocument, undefined> {
  const hold = stock?.holds[sagaId];
  if (stock === undefined || hold === undefined) return { kind: 'keep', result: undefined };
  return {
    kind: 'write',
    document: {
      ...stock,
      available: stock.available + hold.quantity,
      reserved: stock.reserved - hold.quantity,
      holds: withoutKey(pruneHolds(stock.holds, now), sagaId),
    },
    result: undefined,
  };
}

async function takeBackHolds(
  container: Container,
  sagaId: string,
  lines: readonly OrderLine[],
  now: Date,
): Promise<void> {
  for (const line of lines) {
    await updateOptimistically<StockDocument, undefined>(
      container,
      { id: line.sku, partitionKey: line.sku },
      (stock) => decideTakeBack(stock, sagaId, now),
      { operation: `take back ${line.sku} for ${sagaId}` },
    );
  }
}

function refuse(reason: BusinessReason): Decision<StockDocument, LineOutcome> {
  return { kind: 'keep', result: { kind: 'refused', reason } };
}

function pruneHolds(holds: Readonly<Record<string, StockHold>>, now: Date): Record<string, StockHold> {
  return pruneMarkers(holds, (hold) => hold.at, now);
}

function pruneReleases(releases: Readonly<Record<string, string>>, now: Date): Record<string, string> {
  return pruneMarkers(releases, (at) => at, now);
}

function withoutKey<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const { [key]: _removed, ...rest } = record;
  return rest;
}
