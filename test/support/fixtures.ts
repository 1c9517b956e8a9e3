// Locates the test fixtures (test/fixtures: device captures and Apple's schema files) for tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** test/fixtures: where each file came from and its licence are in test/fixtures/SOURCES.md. */
export const FIXTURES_DIR = path.resolve(__dirname, '../fixtures');

export function fixturePath(...parts: string[]): string {
  return path.join(FIXTURES_DIR, ...parts);
}

export function readFixture(...parts: string[]): Buffer {
  return readFileSync(fixturePath(...parts));
}
