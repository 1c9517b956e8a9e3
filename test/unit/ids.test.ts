import { timeOrderedId } from '../../lambdas/ids';

describe('timeOrderedId', () => {
  it('sorts by creation, also for ids made in the same millisecond', () => {
    const at = new Date('2026-11-23T09:00:00.000Z');
    const ids = Array.from({ length: 500 }, () => timeOrderedId(at));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(500);
    const later = timeOrderedId(new Date(at.getTime() + 1));
    expect(later > ids[ids.length - 1]).toBe(true);
  });
});
