import { Container } from '@azure/cosmos';
import { BusinessReason, CompensationResult } from '../saga/activityContract';
import { Order } from '../saga/orderInput';
import { Decision, updateOptimistically } from './optimisticUpdate';
import { deadlinePassed, deadlinePassedReason } from './sagaMarkers';
import { cachedZone } from './zoneCache';

// Step C: book the shipment. The shipments container (partition key /id) holds one shipment
// document per saga and one zone document per country we deliver to. A cancellation that finds no
// booking leaves a cancelled document behind, so a late or duplicated booking is refused.

export interface ZoneDocument {
  readonly id: string;
  readonly type: 'zone';
  readonly country: string;
  readonly carrier: string;
}

export interface ShipmentDocument {
  readonly id: string;
  readonly type: 'shipment';
  readonly sagaId: string;
  readonly status: 'booked' | 'cancelled';
  readonly carrier?: string;
  readonly shipTo?: Order['shipTo'];
  readonly lines?: readonly { readonly sku: string; readonly quantity: number }[];
  readonly bookedAt?: string;
  readonly cancelledAt?: string;
}

export type BookShipmentResult =
  { readonly ok: true; readonly shipmentId: string } | { readonly ok: false; readonly reason: BusinessReason };

export function shipmentId(sagaId: string): string {
  return `shipment-${sagaId}`;
}

export function zoneId(country: string): string {
  return `zone-${country}`;
}

export function newZoneDocument(country: string, carrier: string): ZoneDocument {
  return { id: zoneId(country), type: 'zone', country, carrier };
}

export async function bookShipment(
  container: Container,
  sagaId: string,
  order: Pick<Order, 'shipTo' | 'lines'>,
  now: Date = new Date(),
  deadlineAt?: Date,
): Promise<BookShipmentResult> {
  const id = shipmentId(sagaId);
  const country = order.shipTo.country;
  const zone = await cachedZone<ZoneDocument>(container, zoneId(country));
  // The shipment is new unless a retry booked it or a compensation fenced it: create it straight
  // away; a 409 reads it and decides again.
  const outcome = await updateOptimistically<ShipmentDocument, BookOutcome>(
    container,
    { id, partitionKey: id },
    (shipment) => decideBooking(shipment, sagaId, order, zone, now, deadlineAt),
    { operation: `book ${id}`, expectAbsent: true },
  );
  return outcome.kind === 'booked' ? { ok: true, shipmentId: id } : { ok: false, reason: outcome.reason };
}

/** Compensation of step C. Idempotent; cancelling what was never booked succeeds. */
export async function cancelShipment(
  container: Container,
  sagaId: string,
  now: Date = new Date(),
): Promise<CompensationResult> {
  const id = shipmentId(sagaId);
  const effect = await updateOptimistically<ShipmentDocument, CompensationResult['effect']>(
    container,
    { id, partitionKey: id },
    (shipment) => decideCancel(shipment, sagaId, now),
    { operation: `cancel ${id}` },
  );
  return { effect };
}

type BookOutcome = { readonly kind: 'booked' } | { readonly kind: 'refused'; readonly reason: BusinessReason };

export function decideBooking(
  shipment: ShipmentDocument | undefined,
  sagaId: string,
  order: Pick<Order, 'shipTo' | 'lines'>,
  zone: ZoneDocument | undefined,
  now: Date,
  deadlineAt?: Date,
): Decision<ShipmentDocument, BookOutcome> {
  if (shipment?.status === 'cancelled') {
    return refuse({ code: 'shipment-cancelled', message: 'the shipment for this order was already cancelled' });
  }
  if (shipment?.status === 'booked') return { kind: 'keep', result: { kind: 'booked' } };
  if (deadlineAt !== undefined && deadlinePassed(now, deadlineAt)) return refuse(deadlinePassedReason(deadlineAt));
  if (zone === undefined) {
    return refuse({
      code: 'destination-not-served',
      message: `we do not deliver to ${order.shipTo.country}`,
    });
  }
  return {
    kind: 'write',
    document: {
      id: shipmentId(sagaId),
      type: 'shipment',
      sagaId,
      status: 'booked',
      carrier: zone.carrier,
      shipTo: order.shipTo,
      lines: order.lines.map((line) => ({ sku: line.sku, quantity: line.quantity })),
      bookedAt: now.toISOString(),
    },
    result: { kind: 'booked' },
  };
}

export function decideCancel(
  shipment: ShipmentDocument | undefined,
  sagaId: string,
  now: Date,
): Decision<ShipmentDocument, CompensationResult['effect']> {
  if (shipment?.status === 'cancelled') return { kind: 'keep', result: 'nothing-to-undo' };
  const cancelledAt = now.toISOString();
  if (shipment === undefined) {
    return {
      kind: 'write',
      document: { id: shipmentId(sagaId), type: 'shipment', sagaId, status: 'cancelled', cancelledAt },
      result: 'nothing-to-undo',
    };
  }
  return { kind: 'write', document: { ...shipment, status: 'cancelled', cancelledAt }, result: 'undone' };
}

function refuse(reason: BusinessReason): Decision<ShipmentDocument, BookOutcome> {
  return { kind: 'keep', result: { kind: 'refused', reason } };
}
