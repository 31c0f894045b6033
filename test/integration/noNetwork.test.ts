// Model Lens makes no network requests: models, WebAssembly and tokenizers all come from disk.
// The engine runs here with every network API replaced by one that records the attempt. The two
// exceptions are the server a user names in modelLens.remote.endpoint, which only the completions
// client (src/host/remote/completionsClient.ts) talks to, and the Hugging Face Hub that Download
// Model… downloads a model from, which only the Hub client (src/host/hub/hubClient.ts) talks to.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import { buildDecoder } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { ROOT } from '../helpers/paths';
import { hookGroups } from '../../src/shared/hooks';

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
  const a = await model.analyze('the cat sat on the mat', { hooks: [...hookGroups.attention, ...hookGroups.activations], lens: true, rollout: true });
  expect(a.tokens.length).toBeGreaterThan(0);
  expect(attempts).toEqual([]);
});

const NETWORK_MODULES = /require\(["'](node:)?(http|https|net|tls|dgram)["']\)/;

it('ships an extension host bundle that imports no network module, and fetches only in the completions and Hub clients', () => {
  const bundle = fs.readFileSync(path.join(ROOT, 'dist', 'extension.js'), 'utf8');
  expect(bundle).not.toMatch(NETWORK_MODULES);
  const calls = [...bundle.matchAll(/\bfetch\(/g)].map((m) => m.index);
  const clients = ['var CompletionsClient = class', 'var HubClient = class'].map((start) => {
    const at = bundle.indexOf(start);
    expect(at, start).toBeGreaterThanOrEqual(0);
    return { start: at, end: bundle.indexOf('\n};\n', at) };
  });
  expect(calls).toHaveLength(clients.length);
  // One call inside each client's class.
  for (const { start, end } of clients) expect(calls.filter((c) => c > start && c < end)).toHaveLength(1);
});

it('ships webviews that make no requests, but for the GPU tab, which loads the runtime from the extension', () => {
  const dir = path.join(ROOT, 'dist', 'webview');
  const bundles = fs.readdirSync(dir).filter((f) => f.endsWith('.js'));
  expect(bundles).toContain('attention.js');
  for (const file of bundles.filter((f) => f !== 'gpu.js')) {
    expect(fs.readFileSync(path.join(dir, file), 'utf8'), file).not.toMatch(/\bfetch\(|XMLHttpRequest|new WebSocket|EventSource|sendBeacon/);
  }
});

it('runs the built worker, through the command line, without touching the network', () => {
  // A preload that replaces every network API, in the main thread and in the engine's worker
  // (workers inherit --require), and records each thread it was installed in and each attempt.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-offline-'));
  const log = path.join(dir, 'log');
  const trapFile = path.join(dir, 'trap.cjs');
  fs.writeFileSync(
    trapFile,
    `const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');
const note = (line) => fs.appendFileSync(${JSON.stringify(log)}, line + '\\n');
note(isMainThread ? 'installed: main' : 'installed: worker');
const refuse = (what) => (...args) => { note('attempt: ' + what + ' ' + String(args[0]).slice(0, 80)); throw new Error('network access: ' + what); };
for (const [name, fns] of Object.entries({ http: ['request', 'get'], https: ['request', 'get'], net: ['connect', 'createConnection'], tls: ['connect'], dgram: ['createSocket'] })) {
  const mod = require('node:' + name);
  for (const fn of fns) mod[fn] = refuse(name + '.' + fn);
}
globalThis.fetch = refuse('fetch');
`,
  );
  const text = path.join(dir, 'text.py');
  fs.writeFileSync(text, 'def add(a, b):\n    return a + b\n');
  const out = execFileSync(process.execPath, ['--require', trapFile, path.join(ROOT, 'dist', 'cli.js'), text, '--why', '3', '--json', '--threads', '1'], {
    encoding: 'utf8',
  });
  expect(JSON.parse(out).parts.length).toBeGreaterThan(0);
  const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
  expect(lines).toContain('installed: worker');
  expect(lines.filter((l) => l.startsWith('attempt'))).toEqual([]);
  expect(fs.readFileSync(path.join(ROOT, 'dist', 'worker.js'), 'utf8')).not.toMatch(NETWORK_MODULES);
});
