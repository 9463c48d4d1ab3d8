import type { FunctionRegistry } from '../../app/functionRegistry';
import type { FunctionInvoker, RpcTypedData } from '../../app/invokeFunction';
import { stringData } from '../../app/appInvocation';
import { historyEvents, type HistoryEvent } from '../history/historyEvent';
import type { Clock } from './clock';
import { HTTP_ACTIVITY } from './actionReplay';
import { ConcurrencyGate } from './concurrencyGate';
import { runHttpActivity } from './httpActivity';
import type { DurableHttpRequestWire } from './orchestratorAnswer';
import { noObserver, type EngineObserver } from './engineObserver';

export interface ActivityCall {
  instanceId: string;
  id: number;
  name: string;
  /** The TaskScheduled input: JSON text of the action's input, or null. */
  input: string | null;
}

/** The activity's input as the extension delivers it: strings as text (the worker JSON-parses them), the rest as JSON. */
function triggerData(input: string | null): RpcTypedData {
  if (input === null) return { json: 'null' };
  const value: unknown = JSON.parse(input);
  return typeof value === 'string' ? { string: value } : { json: input };
}

/** The extension stores an activity's result as compact JSON text; no value means no result. */
function resultText(returned: unknown): string | null {
  if (returned === undefined || returned === null) return null;
  const data = returned as { string?: string; json?: string; int?: number; double?: number; bytes?: Uint8Array };
  if (data.string !== undefined) return JSON.stringify(data.string);
  if (data.json !== undefined) return data.json;
  if (data.int !== undefined) return String(data.int);
  if (data.double !== undefined) return String(data.double);
  if (data.bytes !== undefined) return JSON.stringify(Buffer.from(data.bytes).toString('base64'));
  return null;
}

/** Failure details in the shape the extension writes: a serialized .NET exception (always a string). */
function failureDetails(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return JSON.stringify({
    $type: 'System.Exception, System.Private.CoreLib',
    ClassName: 'System.Exception',
    Message: message,
    StackTrace: error instanceof Error ? (error.stack ?? null) : null,
  });
}

/** Runs activity functions, a bounded number at a time, and turns each outcome into its history event. */
export class ActivityRunner {
  private readonly gate: ConcurrencyGate;

  constructor(
    private readonly registry: FunctionRegistry,
    private readonly invoker: FunctionInvoker,
    private readonly clock: Clock,
    maxConcurrent: number,
    private readonly observer: EngineObserver = noObserver,
  ) {
    this.gate = new ConcurrencyGate(maxConcurrent);
  }

  private async runHttp(call: ActivityCall): Promise<HistoryEvent> {
    const started = performance.now();
    try {
      const response = await runHttpActivity(JSON.parse(call.input ?? 'null') as DurableHttpRequestWire);
      this.observer.activity(HTTP_ACTIVITY, performance.now() - started, false);
      return historyEvents.taskCompleted(this.clock.now(), call.id, JSON.stringify(response));
    } catch (error) {
      this.observer.activity(HTTP_ACTIVITY, performance.now() - started, true);
      const message = error instanceof Error ? error.message : String(error);
      return historyEvents.taskFailed(
        this.clock.now(),
        call.id,
        `Activity function '${HTTP_ACTIVITY}' failed:  ${message}`,
        failureDetails(error),
      );
    }
  }

  get inFlight(): number {
    return this.gate.busy;
  }

  run(call: ActivityCall): Promise<HistoryEvent> {
    return this.gate.run(async () => {
      if (call.name === HTTP_ACTIVITY) return this.runHttp(call);
      const fn = this.registry.find(call.name, 'activity');
      if (!fn) {
        const known = this.registry
          .ofKind('activity')
          .map((f) => `'${f.name}'`)
          .join(', ');
        const reason = `The function '${call.name}' doesn't exist, is disabled, or is not an activity function. Additional info: The following are the known activity functions: ${known}.`;
        return historyEvents.taskFailed(this.clock.now(), call.id, reason, failureDetails(new Error(reason)));
      }
      const started = performance.now();
      try {
        const result = await this.invoker.invoke({
          fn,
          trigger: triggerData(call.input),
          triggerMetadata: { instanceId: stringData(call.instanceId) },
        });
        this.observer.activity(fn.name, performance.now() - started, false);
        return historyEvents.taskCompleted(this.clock.now(), call.id, resultText(result.returnValue));
      } catch (error) {
        this.observer.activity(fn.name, performance.now() - started, true);
        // The extension keeps the worker's leading space of the friendly message: "failed:  boom".
        const message = error instanceof Error ? error.message : String(error);
        return historyEvents.taskFailed(
          this.clock.now(),
          call.id,
          `Activity function '${call.name}' failed:  ${message}`,
          failureDetails(error),
        );
      }
    });
  }
}
