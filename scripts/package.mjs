// `npm run package`: the production bundles, then one .vsix per platform as VS Code's
// Marketplace serves native code (`vsce package --target`), and a universal one.
// - dist/model-lens-<target>.vsix carries onnxruntime-node with that platform's binding only
//   (the npm package holds every platform's under bin/): `auto` runs the model natively.
// - dist/model-lens.vsix is WebAssembly only, for every other platform (and the web).
// onnxruntime-node is staged in dist/node_modules, where the bundles' require('onnxruntime-node')
// finds it; the universal package is built without it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const DIST = path.join(ROOT, 'dist');
const STAGED = path.join(DIST, 'node_modules');
const VSCE = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
const ORT_NODE = path.join(ROOT, 'node_modules', 'onnxruntime-node');
const ORT_COMMON = path.join(ROOT, 'node_modules', 'onnxruntime-common');
const BINDINGS = path.join(ORT_NODE, 'bin', 'napi-v6');

/**
 * VS Code's platform targets onnxruntime-node has a binding for, and the files of that binding to
 * ship: macOS' library is there twice under two names, the binding loads libonnxruntime.1.dylib.
 */
const TARGETS = {
  'linux-x64': { dir: 'linux/x64' },
  'linux-arm64': { dir: 'linux/arm64' },
  'darwin-arm64': { dir: 'darwin/arm64', skip: /^libonnxruntime\.\d+\.\d+\.\d+\.dylib$/ },
  'win32-x64': { dir: 'win32/x64' },
  'win32-arm64': { dir: 'win32/arm64' },
};

function run(command, args) {
  execFileSync(command, args, { cwd: ROOT, stdio: 'inherit' });
}

/**
 * The README as the installed extension shows it. The Extensions view renders it in a page that
 * loads only https: and data: images, and the project names no repository for vsce to turn its
 * relative links into addresses, so its screenshots go in as data: URIs and links to files the
 * package does not carry (docs/) become plain text.
 */
function packagedReadme() {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const inlined = readme
    .replace(
      /(!\[[^\]]*\]\()(docs\/[^)\s]+\.(png|gif))\)/g,
      (_, open, file, type) => `${open}data:image/${type};base64,${fs.readFileSync(path.join(ROOT, file)).toString('base64')})`,
    )
    .replace(/(?<!!)\[([^\]]+)\]\(docs\/[^)\s]+\)/g, '$1');
  const out = path.join(ROOT, '.cache', 'package', 'README.md');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, inlined);
  // vsce takes the path relative to the package's folder.
  return path.relative(ROOT, out);
}

const README = packagedReadme();

function vsce(out, target) {
  const args = [VSCE, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--readme-path', README, '--out', out];
  if (target) args.push('--target', target);
  run(process.execPath, args);
}

/** Copies a file or folder, without source maps and type declarations (nothing runs them). */
function copy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true, filter: (file) => !/\.(map|d\.ts)$/.test(file) });
}

/** onnxruntime-node's JavaScript, onnxruntime-common, and one platform's binding, in dist/node_modules. */
function stage(target) {
  fs.rmSync(STAGED, { recursive: true, force: true });
  const node = path.join(STAGED, 'onnxruntime-node');
  for (const part of ['package.json', 'dist', 'LICENSE']) if (fs.existsSync(path.join(ORT_NODE, part))) copy(path.join(ORT_NODE, part), path.join(node, part));
  const { dir, skip } = TARGETS[target];
  for (const file of fs.readdirSync(path.join(BINDINGS, dir))) {
    if (skip?.test(file)) continue;
    copy(path.join(BINDINGS, dir, file), path.join(node, 'bin', 'napi-v6', dir, file));
  }
  const common = path.join(STAGED, 'onnxruntime-common');
  for (const part of ['package.json', path.join('dist', 'cjs'), 'LICENSE'])
    if (fs.existsSync(path.join(ORT_COMMON, part))) copy(path.join(ORT_COMMON, part), path.join(common, part));
}

function megabytes(file) {
  return `${(fs.statSync(file).size / 1e6).toFixed(1)} MB`;
}

run(process.execPath, [path.join(ROOT, 'esbuild.js'), '--production']);
const built = [];
fs.rmSync(STAGED, { recursive: true, force: true });
const universal = path.join(DIST, 'model-lens.vsix');
vsce(universal, undefined);
built.push(['universal (WebAssembly)', universal]);
try {
  for (const target of Object.keys(TARGETS)) {
    stage(target);
    const out = path.join(DIST, `model-lens-${target}.vsix`);
    vsce(out, target);
    built.push([target, out]);
  }
} finally {
  // The development build uses the repository's node_modules.
  fs.rmSync(STAGED, { recursive: true, force: true });
}
console.log('\nPackages:');
for (const [name, file] of built) console.log(`  ${name.padEnd(24)} ${path.relative(ROOT, file).padEnd(36)} ${megabytes(file)}`);
