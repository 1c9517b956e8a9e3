// The k-way merge behind the sharded lists (adapters/dynamodb/shards.ts), over in-memory partitions
// that behave as DynamoDB queries do (Limit before filter, LastEvaluatedKey while more may exist).
import { mergePartitions, type Partition, type Position, shardOf } from '../../lambdas/adapters/dynamodb/shards';

/** A partition holding `values` (sorted as the list is), read like a Query with a filter. */
function partition(values: string[], order: 'asc' | 'desc', keep: (v: string) => boolean = () => true) {
  const sorted = [...values].sort();
  if (order === 'desc') sorted.reverse();
  const reads: number[] = [];
  const part: Partition<string> = {
    async read(after, limit) {
      reads.push(limit);
      const from = after === undefined ? 0 : sorted.findIndex((v) => (order === 'asc' ? v > after : v < after));
      const start = from === -1 ? sorted.length : from;
      const evaluated = sorted.slice(start, start + limit);
      const more = start + limit < sorted.length;
      return { items: evaluated.filter(keep), last: more ? evaluated[evaluated.length - 1] : undefined };
    },
  };
  return { part, reads };
}

async function readAll(parts: Array<Partition<string>>, order: 'asc' | 'desc', limit: number) {
  const pages: string[][] = [];
  let positions: Position[] | undefined;
  do {
    const page = await mergePartitions(parts, (v) => v, order, positions, limit);
    // Round trip through JSON, as a cursor does.
    positions = page.positions && (JSON.parse(JSON.stringify(page.positions)) as Position[]);
    pages.push(page.items);
  } while (positions);
  return pages;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `id${String(i).padStart(5, '0')}`);

function spread(values: string[], shards: number): string[][] {
  const out = Array.from({ length: shards }, () => [] as string[]);
  for (const v of values) out[shardOf(v, shards)].push(v);
  return out;
}

describe('mergePartitions', () => {
  it.each([
    ['asc', 1],
    ['asc', 7],
    ['desc', 10],
    ['desc', 100],
  ] as const)('pages %s with limit %i: every item once, in order, full pages until the last', async (order, limit) => {
    const values = ids(500);
    const parts = spread(values, 16).map((v) => partition(v, order).part);
    const pages = await readAll(parts, order, limit);
    const expected = [...values].sort();
    if (order === 'desc') expected.reverse();
    expect(pages.flat()).toEqual(expected);
    for (const page of pages.slice(0, -1)) expect(page).toHaveLength(limit);
  });

  it('reads each shard at most twice per page of uniformly spread items', async () => {
    const shards = spread(ids(2000), 16).map((v) => partition(v, 'desc'));
    let positions: Position[] | undefined;
    for (let page = 0; page < 5; page++) {
      for (const s of shards) s.reads.length = 0;
      const out = await mergePartitions(
        shards.map((s) => s.part),
        (v) => v,
        'desc',
        positions,
        100,
      );
      expect(out.items).toHaveLength(100);
      for (const s of shards) expect(s.reads.length).toBeLessThanOrEqual(2);
      positions = out.positions;
    }
  });

  it('reads through shards whose reads are all filtered out, and through empty and lopsided shards', async () => {
    const odd = (v: string) => Number(v.slice(2)) % 2 === 1;
    const values = ids(300);
    const parts = [
      partition(values.slice(0, 250), 'asc', odd).part, // most items, half filtered
      partition([], 'asc').part,
      partition(values.slice(250), 'asc', () => false).part, // everything filtered
    ];
    const pages = await readAll(parts, 'asc', 9);
    expect(pages.flat()).toEqual(values.slice(0, 250).filter(odd));
    for (const page of pages.slice(0, -1)) expect(page.length).toBeGreaterThan(0);
  });

  it('ends with no positions once every shard is read to its end', async () => {
    const parts = [partition(['a', 'c'], 'asc').part, partition(['b'], 'asc').part];
    const page = await mergePartitions(parts, (v) => v, 'asc', undefined, 10);
    expect(page).toEqual({ items: ['a', 'b', 'c'], positions: undefined });
  });
});
