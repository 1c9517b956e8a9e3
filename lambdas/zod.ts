// The one zod entry point of lambdas/: import it as `import * as z from '../zod'`.
// zod/mini is the same validator and JSON Schema generator as classic zod, as functions rather than
// methods, so a bundle keeps only what it calls: classic `z` carries every method and all ~49
// locales into every Lambda (~450 KB). Two rules keep it that way: import the namespace with
// `import * as` (a `z` object re-exported from zod/mini is the whole library again), and never
// touch `z.locales` or `z.core` (each pulls in its whole namespace).

import { en } from 'zod/locales';
import { config } from 'zod/mini';

// English messages, as classic zod sets by default: a 400 names the field and says what is wrong.
config(en());

export * from 'zod/mini';
/** The error `parse` throws (classic zod's `ZodError`). */
export { $ZodError } from 'zod/v4/core';
