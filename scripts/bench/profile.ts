// Where a process's CPU goes, from a V8 sampling profile: self time grouped by package (node_modules),
// project folder, Node.js internals area, or V8 state (GC, native code such as socket writes).

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  name: string;
  ms: number;
  share: number;
}

/** The group a frame's self time belongs to. */
export function frameGroup(functionName: string, url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const internal = /^node:(?:internal\/)?([a-z_]+)/.exec(url)?.[1];
  if (internal) return `node:${internal.replace(/^_/, '').replace(/_.*/, '')}`;
  const project = /\/(lambdas|scripts|test)\/([^/]+)/.exec(url);
  if (project) return `${project[1]}/${project[2].replace(/\.ts$/, '')}`;
  if (!url && functionName.startsWith('(')) return functionName; // (garbage collector), (program), (idle)
  if (!url) return `native: ${functionName || '?'}`;
  return url;
}

/** Self time per group, busiest first; idle time is left out of the total. */
export function summarizeProfile(profile: CpuProfile, limit = 12): { busyMs: number; groups: ProfileShare[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const group = frameGroup(node.callFrame.functionName, node.callFrame.url);
    totals.set(group, (totals.get(group) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  totals.delete('(idle)');
  const busyMs = [...totals.values()].reduce((s, v) => s + v, 0);
  const groups = [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, ms]) => ({ name, ms, share: ms / busyMs }));
  return { busyMs, groups };
}
