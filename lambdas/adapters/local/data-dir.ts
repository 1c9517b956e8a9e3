// Local mode keeps every tenant's data, the secret-box key and the admin credentials under one
// folder (.data/): it is private to the user who runs the server, like ~/.ssh.
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes `dir` private: from now on this process creates files 0600 and folders 0700 (umask 077,
 * which also covers the database files dynalite writes), and what already exists under `dir` (a
 * data folder from an older version) is narrowed to those modes.
 */
export function makeDataDirPrivate(dir: string): void {
  if (isMainThread) process.umask(0o077); // worker threads share the process's umask and may not set it
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  narrow(dir);
}

function narrow(dir: string): void {
  chmodSync(dir, PRIVATE_DIR_MODE);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) narrow(path);
    else if (entry.isFile()) chmodSync(path, PRIVATE_FILE_MODE);
  }
}
