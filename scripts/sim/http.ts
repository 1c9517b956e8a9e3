// The devices' HTTP client: fetch, trying again when a kept-alive connection turns out to be
// closed. With the server in another thread, a device's busy event loop can reuse a socket the
// server has just closed as idle (ECONNRESET before any answer); real MDM clients try again too.
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** fetch fails with a TypeError whose cause holds the socket's error code. */
function isConnectionReset(err: unknown): boolean {
  return RESET.has((err as { cause?: { code?: string } })?.cause?.code ?? '');
}

/** A stale pooled socket can be followed by another: a few tries, then the error stands. */
const TRIES = 3;

/** `onRetry` counts the retries for the report. */
export function retryingFetch(onRetry: () => void): typeof fetch {
  return async (input, init) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(input, init);
      } catch (err) {
        if (attempt >= TRIES || !isConnectionReset(err)) throw err;
        onRetry();
      }
    }
  };
}

/**
 * Idle keep-alive connections stay open this long on the simulator's servers (Node's default is
 * 5 s): the devices' client pools them for about as long as the server says, less a second, and
 * a busy client thread can overrun that second, which is where the resets above come from.
 */
export const SERVER_KEEP_ALIVE_MS = 65_000;
