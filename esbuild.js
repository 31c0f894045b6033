// Bundles the extension host, the engine worker, the CLI and each webview app into dist/, the web
// edition (src/web) into dist/web/, and copies the ONNX Runtime WebAssembly files next to the
// worker (so it never needs a CDN) and the codicon font for the webviews.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const quiet = process.argv.includes('--quiet');
const dist = path.join(__dirname, 'dist');

/**
 * The ORT files loaded at run time: the threaded SIMD build for the worker, and the WebGPU build
 * (asyncify) for the WebGPU backend's webview.
 */
const ORT_WASM_FILES = [
  'ort-wasm-simd-threaded.mjs',
  'ort-wasm-simd-threaded.wasm',
  'ort-wasm-simd-threaded.asyncify.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm',
];

/** VS Code's icon font, which @vscode-elements/elements' icons expect in every webview. */
const CODICON_FILES = ['codicon.css', 'codicon.ttf'];

function copyAssets() {
  const ortDist = path.dirname(require.resolve('onnxruntime-web'));
  for (const file of ORT_WASM_FILES) fs.copyFileSync(path.join(ortDist, file), path.join(dist, file));
  const codicons = path.join(path.dirname(require.resolve('@vscode/codicons/package.json')), 'dist');
  fs.mkdirSync(path.join(dist, 'codicons'), { recursive: true });
  for (const file of CODICON_FILES) fs.copyFileSync(path.join(codicons, file), path.join(dist, 'codicons', file));
}

/** Reports errors in the format of VS Code's esbuild problem matcher. */
const problemMatcherPlugin = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => {
      if (watch) console.log('[watch] build started');
    });
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      if (watch) console.log('[watch] build finished');
    });
  },
};

/** The WebGPU page is an ES module (ONNX Runtime locates its parts through import.meta). */
const MODULE_APPS = ['gpu'];

function webviewEntries(modules) {
  const root = path.join(__dirname, 'webview');
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, d.name, 'main.ts')) && MODULE_APPS.includes(d.name) === modules)
    .map((d) => ({ in: path.join(root, d.name, 'main.ts'), out: `webview/${d.name}` }));
}

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: quiet ? 'error' : 'warning',
  plugins: [problemMatcherPlugin],
};

/**
 * The web edition runs without Node: the Node modules the engine and the host import are small
 * shims there (node:fs answered from the files the host read into memory), and ONNX Runtime is its
 * WebAssembly-only build with the Emscripten glue inside, so the worker fetches nothing: the host
 * hands it the .wasm (src/web/webEngine.ts).
 */
const WEB_SHIMS = {
  'node:fs': './src/web/memoryFs.ts',
  'node:path': './src/web/shims/path.ts',
  'node:os': './src/web/shims/os.ts',
  'node:buffer': './src/web/shims/buffer.ts',
  'node:crypto': './src/web/shims/crypto.ts',
  'node:worker_threads': './src/web/shims/workerThreads.ts',
};
const web = {
  ...common,
  outdir: path.join(dist, 'web'),
  platform: 'browser',
  target: 'es2022',
  // onnxruntime-node is never there: runtime.ts' require of it fails and WebAssembly runs.
  external: ['vscode', 'onnxruntime-node'],
  alias: WEB_SHIMS,
};

const builds = [
  {
    ...common,
    entryPoints: [
      { in: 'src/host/extension.ts', out: 'extension' },
      { in: 'src/engine/worker.ts', out: 'worker' },
      { in: 'src/cli/explain.ts', out: 'cli' },
    ].filter((e) => fs.existsSync(e.in)),
    outdir: dist,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['vscode', 'onnxruntime-node'],
  },
  { ...web, entryPoints: [{ in: 'src/web/extension.ts', out: 'extension' }], format: 'cjs' },
  {
    ...web,
    entryPoints: [{ in: 'src/web/engineWorker.ts', out: 'engineWorker' }],
    // A classic worker script: the extension host starts it from a blob: address.
    format: 'iife',
    alias: { ...WEB_SHIMS, 'onnxruntime-web': './node_modules/onnxruntime-web/dist/ort.wasm.bundle.min.mjs' },
  },
  ...[false, true].map((modules) => ({
    ...common,
    entryPoints: webviewEntries(modules),
    outdir: dist,
    format: modules ? 'esm' : 'iife',
    platform: 'browser',
    target: 'es2022',
    loader: { '.css': 'css' },
  })),
];

async function main() {
  fs.mkdirSync(dist, { recursive: true });
  copyAssets();
  const contexts = await Promise.all(builds.filter((b) => b.entryPoints.length).map((b) => esbuild.context(b)));
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
