// Model Lens makes no network requests: models, WebAssembly and tokenizers all come from disk.
// The engine runs here with every network API replaced by one that records the attempt.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import { buildDecoder } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { ROOT } from '../helpers/paths';

const nodeRequire = createRequire(__filename);
const attempts: string[] = [];
const restore: (() => void)[] = [];

function trap(moduleName: string, names: string[]): void {
  const mod = nodeRequire(moduleName) as Record<string, unknown>;
  for (const name of names) {
    const original = mod[name];
    mod[name] = (...args: unknown[]) => {
      attempts.push(`${moduleName}.${name}(${String(args[0]).slice(0, 80)})`);
      throw new Error(`network access during a test: ${moduleName}.${name}`);
    };
    restore.push(() => (mod[name] = original));
  }
}

beforeAll(() => {
  trap('node:http', ['request', 'get']);
  trap('node:https', ['request', 'get']);
  trap('node:net', ['connect', 'createConnection']);
  trap('node:tls', ['connect']);
  trap('node:dgram', ['createSocket']);
  const originalFetch = globalThis.fetch;
  globalThis.fetch = ((input: unknown) => {
    attempts.push(`fetch(${String(input).slice(0, 80)})`);
    return Promise.reject(new Error('network access during a test: fetch'));
  }) as typeof fetch;
  restore.push(() => (globalThis.fetch = originalFetch));
});

afterAll(() => restore.forEach((r) => r()));

it('loads a model and analyses text without touching the network', async () => {
  const model = await LoadedModel.load(writeModelFolder('offline', buildDecoder({ attention: 'gqa' })), { backend: 'wasm', threads: 1 });
  const a = await model.analyze('the cat sat on the mat', { attention: true, activations: true, lens: true, rollout: true });
  expect(a.tokens.length).toBeGreaterThan(0);
  expect(attempts).toEqual([]);
});

it('ships an extension host bundle that imports no network module', () => {
  const bundle = fs.readFileSync(path.join(ROOT, 'dist', 'extension.js'), 'utf8');
  expect(bundle).not.toMatch(/require\(["'](node:)?(http|https|net|tls|dgram)["']\)/);
  expect(bundle).not.toMatch(/\bfetch\(/);
});
