import { type CpuProfile, frameGroup, summarizeProfile } from '../../scripts/bench/profile';

describe('bench CPU profile summary', () => {
  it('groups frames by package, Node.js area, project folder or V8 state', () => {
    expect(frameGroup('sign', 'file:///w/node_modules/@smithy/signature-v4/dist-cjs/index.js')).toBe(
      '@smithy/signature-v4',
    );
    expect(frameGroup('x', 'file:///w/node_modules/asn1js/build/index.js')).toBe('asn1js');
    expect(frameGroup('write', 'node:internal/streams/writable')).toBe('node:streams');
    expect(frameGroup('x', 'node:_http_client')).toBe('node:http');
    expect(frameGroup('mutate', 'file:///w/lambdas/service/devices.ts')).toBe('lambdas/service');
    expect(frameGroup('(garbage collector)', '')).toBe('(garbage collector)');
    expect(frameGroup('writev', '')).toBe('native: writev');
  });

  it('sums self time per group, leaving idle out', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(idle)', url: '' } },
        { id: 2, callFrame: { functionName: 'a', url: 'file:///w/node_modules/zod/index.js' } },
        { id: 3, callFrame: { functionName: 'b', url: 'file:///w/lambdas/http/pipeline.ts' } },
      ],
      samples: [1, 2, 2, 3],
      timeDeltas: [5000, 3000, 3000, 2000],
    };
    expect(summarizeProfile(profile)).toEqual({
      busyMs: 8,
      groups: [
        { name: 'zod', ms: 6, share: 0.75 },
        { name: 'lambdas/http', ms: 2, share: 0.25 },
      ],
    });
  });
});
