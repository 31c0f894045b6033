// `npm run bench` (full: docs/benchmarks.md) and `npm run bench -- --quick` (CI: one small model,
// test-output/benchmarks-quick.md). Bundles the TypeScript it needs with esbuild into
// .cache/bench/ (no ts-node) — the benchmark's driver and the engine worker, with ONNX Runtime's
// WebAssembly files next to them as the extension ships them — then runs the driver.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const OUT = path.join(ROOT, '.cache', 'bench');
const require = createRequire(import.meta.url);

/** The files onnxruntime-web loads at run time, found next to the bundle that imports it. */
const ORT_WASM_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

fs.mkdirSync(OUT, { recursive: true });
await esbuild.build({
  entryPoints: [
    { in: path.join(ROOT, 'scripts', 'bench', 'main.ts'), out: 'bench' },
    { in: path.join(ROOT, 'src', 'engine', 'worker.ts'), out: 'worker' },
  ],
  outdir: OUT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'error',
  // Resolved at run time from node_modules, as in the extension: the native build when installed.
  external: ['onnxruntime-node', 'vscode'],
});
const ortDist = path.dirname(require.resolve('onnxruntime-web'));
for (const file of ORT_WASM_FILES) fs.copyFileSync(path.join(ortDist, file), path.join(OUT, file));

const run = spawnSync(process.execPath, ['--enable-source-maps', path.join(OUT, 'bench.js'), ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });
process.exit(run.status ?? 1);
