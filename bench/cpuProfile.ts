import path from 'node:path';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) this summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  /** Microseconds on the monotonic clock, the one `process.hrtime` reads. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ComponentTime {
  component: string;
  ms: number;
}

/**
 * Packages that only carry another package's requests (HTTP pipelines, helpers): their time is
 * counted to whoever called them, so the Cosmos client's pipeline counts as the Cosmos client.
 */
const CARRIERS = /^(@azure\/core-|@azure\/abort-controller|@azure\/logger|@typespec\/|tslib$)/;

/** Who a frame's time belongs to: a package, a folder of this project, or nobody (look at the caller). */
function ownerOf(url: string, root: string): string | undefined {
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inPackage) return CARRIERS.test(inPackage[1]) ? undefined : inPackage[1];
  const file = url.startsWith('file://') ? url.slice('file://'.length) : url;
  const dist = path.join(root, 'dist') + path.sep;
  if (!file.startsWith(dist)) return undefined;
  // host/durable/engine, host/store, src/functions: deep enough to tell the engine from its store.
  const parts = file.slice(dist.length).split(path.sep);
  return parts.slice(0, parts[0] === 'host' && parts[1] === 'durable' ? 3 : 2).join('/');
}

/** What V8 names the frames that stand for no JavaScript: time in them has no caller to blame. */
const SYSTEM_FRAMES: Record<string, string> = {
  '(garbage collector)': 'garbage collection',
  '(program)': 'V8 and Node outside JavaScript',
};

/**
 * CPU time by component within [fromUs, toUs] on the monotonic clock: each sample goes to the
 * nearest frame on its stack that belongs to a package or a folder of this project; samples with
 * none (socket writes flushed on a later tick, timers, stream plumbing) count as Node's own I/O.
 * Idle time is left out.
 */
export function cpuByComponent(
  profile: CpuProfile,
  root: string,
  fromUs = -Infinity,
  toUs = Infinity,
): ComponentTime[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const ownerOfNode = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = ownerOfNode.get(id);
    if (known !== undefined) return known;
    const frame = nodes.get(id)?.callFrame;
    const parent = parents.get(id);
    const owner =
      (frame && (SYSTEM_FRAMES[frame.functionName] ?? ownerOf(frame.url, root))) ??
      (parent === undefined ? "Node's sockets, HTTP parsing and timers" : resolve(parent));
    ownerOfNode.set(id, owner);
    return owner;
  };
  const totals = new Map<string, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) return;
    const weight = profile.timeDeltas[i + 1] ?? 0;
    if (weight === 0 || nodes.get(id)?.callFrame.functionName === '(idle)') return;
    const owner = resolve(id);
    totals.set(owner, (totals.get(owner) ?? 0) + weight);
  });
  return [...totals].map(([component, us]) => ({ component, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
}
