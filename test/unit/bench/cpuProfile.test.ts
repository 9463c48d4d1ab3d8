import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuByComponent, type CpuProfile } from '../../../bench/cpuProfile';

const ROOT = '/app';
const frame = (functionName: string, url = ''): { functionName: string; url: string } => ({ functionName, url });

/**
 * A profile of one stack per node, each sampled once for `ms` (the delta that follows the sample
 * is its weight, as DevTools reads it), starting at 1,000 µs.
 */
function profileOf(stacks: { frames: { functionName: string; url: string }[]; ms: number }[]): CpuProfile {
  const nodes: CpuProfile['nodes'] = [{ id: 1, callFrame: frame('(root)') }];
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let next = 2;
  for (const stack of stacks) {
    let parent = nodes[0];
    for (const callFrame of stack.frames) {
      const node = { id: next++, callFrame, children: [] as number[] };
      (parent.children ??= []).push(node.id);
      nodes.push(node);
      parent = node;
    }
    samples.push(parent.id);
    timeDeltas.push(samples.length === 1 ? 0 : (stacks[samples.length - 2]?.ms ?? 0) * 1000);
  }
  samples.push(1);
  timeDeltas.push((stacks.at(-1)?.ms ?? 0) * 1000);
  return { nodes, startTime: 1000, endTime: 1000 + timeDeltas.reduce((a, b) => a + b, 0), samples, timeDeltas };
}

const dist = (file: string): string => `file://${path.join(ROOT, 'dist', file)}`;
const pkg = (name: string): string => `file://${path.join(ROOT, 'node_modules', name, 'dist/index.js')}`;

describe('where the host CPU went, by component', () => {
  it("counts a sample to the nearest package or project folder on its stack, and a carrier's to its caller", () => {
    const profile = profileOf([
      { frames: [frame('activity', dist('src/functions/activities.js')), frame('read', pkg('@azure/cosmos'))], ms: 3 },
      {
        frames: [
          frame('read', pkg('@azure/cosmos')),
          frame('sendRequest', pkg('@azure/core-rest-pipeline')),
          frame('writev'),
        ],
        ms: 2,
      },
      { frames: [frame('commit', dist('host/store/commitLog.js'))], ms: 1.5 },
      { frames: [frame('runEpisode', dist('host/durable/engine/durableEngine.js'))], ms: 1 },
    ]);
    expect(cpuByComponent(profile, ROOT)).toEqual([
      { component: '@azure/cosmos', ms: 5 },
      { component: 'host/store', ms: 1.5 },
      { component: 'host/durable/engine', ms: 1 },
    ]);
  });

  it("names garbage collection, leaves idle time out, and counts stacks of Node's plumbing alone as its I/O", () => {
    const profile = profileOf([
      { frames: [frame('(garbage collector)')], ms: 2 },
      { frames: [frame('(idle)')], ms: 50 },
      { frames: [frame('afterWrite', 'node:internal/stream_base_commons'), frame('writev')], ms: 1 },
    ]);
    expect(cpuByComponent(profile, ROOT)).toEqual([
      { component: 'garbage collection', ms: 2 },
      { component: "Node's sockets, HTTP parsing and timers", ms: 1 },
    ]);
  });

  it('counts only the samples taken within the window asked for', () => {
    const profile = profileOf([
      { frames: [frame('early', dist('host/http/httpServer.js'))], ms: 1 },
      { frames: [frame('within', dist('host/store/commitLog.js'))], ms: 1 },
      { frames: [frame('late', dist('host/app/invokeFunction.js'))], ms: 1 },
    ]);
    // Samples fall at 1,000, 2,000 and 3,000 µs.
    expect(cpuByComponent(profile, ROOT, 1500, 2500)).toEqual([{ component: 'host/store', ms: 1 }]);
  });
});
