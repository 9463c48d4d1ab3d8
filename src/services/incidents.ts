import { Container } from '@azure/cosmos';
import { IncidentInput } from '../saga/activityContract';
import { statusCodeOf, storeFailure } from './storeErrors';

// A compensation that still failed after its retries leaves stock held or money taken: the saga
// records it here (partition key /sagaId) so that a person can repair the order. The id is derived
// from saga and step, so a retried record writes one document, and a document someone has already
// started working on (status changed) is never overwritten.

export interface IncidentDocument extends IncidentInput {
  readonly id: string;
  readonly status: 'open';
  readonly recordedAt: string;
}

export function incidentId(sagaId: string, step: string): string {
  return `incident-${sagaId}-${step}`;
}

export async function recordIncident(
  container: Container,
  incident: IncidentInput,
  now: Date = new Date(),
): Promise<{ incidentId: string }> {
  const document: IncidentDocument = {
    ...incident,
    id: incidentId(incident.sagaId, incident.step),
    status: 'open',
    recordedAt: now.toISOString(),
  };
  try {
    await container.items.create(document);
  } catch (error) {
    if (statusCodeOf(error) !== 409) throw storeFailure(`record ${document.id}`, error);
  }
  return { incidentId: document.id };
}

export async function incidentsOfSaga(container: Container, sagaId: string): Promise<IncidentDocument[]> {
  try {
    const { resources } = await container.items
      .query<IncidentDocument>(
        { query: 'SELECT * FROM c WHERE c.sagaId = @sagaId', parameters: [{ name: '@sagaId', value: sagaId }] },
        { partitionKey: sagaId },
      )
      .fetchAll();
    return resources;
  } catch (error) {
    throw storeFailure(`list incidents of ${sagaId}`, error);
  }
}
