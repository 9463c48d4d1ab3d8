import { app, InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { planPurge, readPurgeSchedule, readRetentionMs, sagaIdOf } from '../saga/historyRetention';

// Finished sagas older than SAGA_HISTORY_RETENTION leave the task hub (Azure Storage bills for
// every row kept), on the SAGA_HISTORY_PURGE_SCHEDULE timer. Running sagas are never listed, and
// sagas needing attention keep their history. Only durable client calls, so it runs on Azure as is.

const purgeBatchSize = 20;
const finishedStatuses = [
  df.OrchestrationRuntimeStatus.Completed,
  df.OrchestrationRuntimeStatus.Failed,
  df.OrchestrationRuntimeStatus.Terminated,
];

/** Whether the task hub still has the instance (the client throws on the extension's 404). */
async function exists(client: df.DurableClient, instanceId: string): Promise<boolean> {
  try {
    return (await client.getStatus(instanceId)) !== undefined;
  } catch (error) {
    if (error instanceof Error && error.message.includes('HTTP 404')) return false;
    throw error;
  }
}

export async function purgeSagaHistory(timer: Timer, context: InvocationContext): Promise<void> {
  const retentionMs = readRetentionMs(process.env);
  const client = df.getClient(context);
  // Counted from the occurrence this run stands for (the host's clock: a past-due run keeps its
  // cutoff, and the local host's time skipping moves it); the wall clock when not monitored.
  const occurrence = timer.scheduleStatus?.next ? new Date(timer.scheduleStatus.next) : new Date();
  const cutoff = new Date((Number.isNaN(occurrence.getTime()) ? Date.now() : occurrence.getTime()) - retentionMs);
  // The client follows the list's continuation tokens page by page; only ids and flags are kept.
  const finished = await client.getStatusBy({ createdTimeTo: cutoff, runtimeStatus: finishedStatuses });
  const plan = planPurge(finished);
  const purge = [...plan.purge];
  // A step whose saga is not listed belongs to a saga still running (kept) or already purged (orphan).
  for (const stepId of plan.stepsOfUnlistedSagas) if (!(await exists(client, sagaIdOf(stepId)))) purge.push(stepId);

  let removed = 0;
  for (let i = 0; i < purge.length; i += purgeBatchSize) {
    const results = await Promise.all(purge.slice(i, i + purgeBatchSize).map((id) => client.purgeInstanceHistory(id)));
    removed += results.reduce((sum, r) => sum + r.instancesDeleted, 0);
  }
  context.log(
    `purgeSagaHistory: removed ${removed} finished instance(s) created before ${cutoff.toISOString()}; kept ${plan.keptForAttention} needing attention.`,
  );
}

app.timer('purgeSagaHistory', {
  schedule: readPurgeSchedule(process.env),
  extraInputs: [df.input.durableClient()],
  handler: purgeSagaHistory,
});
