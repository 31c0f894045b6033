import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const WORKER = path.join(ROOT, 'dist', 'worker.js');
export const DEFAULT_MODEL = path.join(ROOT, 'media', 'models', 'lens-tiny');
// Real exporter output shared with every checkout; each fixture folder has a SOURCE.md.
export const SHARED_FIXTURES = path.resolve(ROOT, '..', 'shared', 'fixtures');
export const TINY_GPT2 = path.join(SHARED_FIXTURES, 'tiny-random-gpt2');

export function exists(p: string): boolean {
  return fs.existsSync(p);
}
