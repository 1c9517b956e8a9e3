// Locates the shared fixtures (../shared/fixtures beside the repo) for tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The shared folder beside the repo root (holds fixtures/ and apple-device-management/). */
export const SHARED_DIR = path.resolve(__dirname, '../../../shared');

export function fixturePath(...parts: string[]): string {
  return path.join(SHARED_DIR, 'fixtures', ...parts);
}

export function readFixture(...parts: string[]): Buffer {
  return readFileSync(fixturePath(...parts));
}
