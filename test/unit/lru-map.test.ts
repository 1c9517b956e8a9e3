import { LruMap } from '../../lambdas/domain/lru-map';

describe('LruMap: the bounded map behind the per-container caches', () => {
  it('keeps at most its capacity, dropping the least recently used first', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1); // now b is the least recently used
    map.set('c', 3);
    expect(map.size).toBe(2);
    expect(map.has('b')).toBe(false);
    expect([map.get('a'), map.get('c')]).toEqual([1, 3]);
  });

  it('replaces a value without growing, and forgets a deleted key', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('a', 2);
    expect(map.size).toBe(1);
    expect(map.get('a')).toBe(2);
    map.delete('a');
    expect(map.get('a')).toBeUndefined();
  });
});
