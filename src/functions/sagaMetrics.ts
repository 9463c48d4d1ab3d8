import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { filterTime } from '../monitor/timestamps';
import { sagaFigures } from '../saga/sagaFigures';
import { sagaOrchestratorName } from '../saga/steps';

// GET /api/saga-metrics: sagas by outcome and step / end-to-end latency percentiles, from the
// durable client's statuses, so the same figures come out locally and in Azure. Optional
// createdFrom / createdTo (ISO times) narrow it to sagas started in a window.

function timeParam(request: HttpRequest, name: string): Date | undefined | { error: string } {
  const value = request.query.get(name);
  if (value === null || value === '') return undefined;
  return (
    filterTime(value) ?? {
      error: `${name} must be an ISO 8601 time with a zone in the years 1 to 9999, such as 2025-03-01T10:00:00Z, not '${value.slice(0, 100)}'`,
    }
  );
}

export async function sagaMetrics(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const from = timeParam(request, 'createdFrom');
  const to = timeParam(request, 'createdTo');
  const errors = [from, to]
    .filter((v): v is { error: string } => v !== undefined && !(v instanceof Date))
    .map((v) => ({ path: '$query', message: v.error }));
  if (errors.length > 0) return { status: 400, jsonBody: { errors } };
  const client = df.getClient(context);
  const statuses = await client.getStatusBy({
    ...(from instanceof Date ? { createdTimeFrom: from } : {}),
    ...(to instanceof Date ? { createdTimeTo: to } : {}),
  });
  const sagas = statuses.filter((s) => s.name === sagaOrchestratorName);
  return {
    status: 200,
    jsonBody: sagaFigures(sagas.map((s) => ({ runtimeStatus: s.runtimeStatus, customStatus: s.customStatus }))),
  };
}

app.http('sagaMetrics', {
  route: 'saga-metrics',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: sagaMetrics,
});
