// Walking a paged listing: the one loop behind every "read page, use it, follow the cursor".

/** A page of items and the cursor of the next page (none after the last). */
export interface CursorPage<T, C> {
  items: T[];
  cursor?: C;
}

/**
 * The pages of a listing, first to last (from `start` when given): `fetchPage` reads the page at a
 * cursor. Breaking out of the loop reads no further page; the cursor of the last page read is in it.
 * (C defaults to the stores' string cursor: TypeScript cannot infer it from the callback's own parameter.)
 */
export async function* pages<T, C = string>(
  fetchPage: (cursor: C | undefined) => Promise<CursorPage<T, C>>,
  start?: C,
): AsyncGenerator<CursorPage<T, C>> {
  let cursor = start;
  do {
    const page = await fetchPage(cursor);
    yield page;
    cursor = page.cursor;
  } while (cursor);
}
