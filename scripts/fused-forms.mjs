// `node scripts/fused-forms.mjs [folder]`: writes the default model rewritten into each fused form
// the golden test checks (test/helpers/fusedForms.ts: ONNX Runtime's Attention, MultiHeadAttention,
// GroupQueryAttention, SkipLayerNormalization, Gelu, BiasGelu, 4-bit MatMulNBits), one model folder
// each, under .cache/fused-forms/ unless told otherwise, to open in Netron or in Model Lens
// (modelLens.modelPath). Bundles the TypeScript builder with esbuild first, as bench.mjs does.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, '.cache', 'fused-forms'));
const BUILD = path.join(ROOT, '.cache', 'fused-forms-build');
const DEFAULT_MODEL = path.join(ROOT, 'media', 'models', 'lens-tiny');

fs.mkdirSync(BUILD, { recursive: true });
await esbuild.build({
  entryPoints: [path.join(ROOT, 'test', 'helpers', 'fusedForms.ts')],
  outfile: path.join(BUILD, 'fusedForms.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'error',
});
const { writeFusedForms } = createRequire(import.meta.url)(path.join(BUILD, 'fusedForms.cjs'));
for (const folder of writeFusedForms(DEFAULT_MODEL, OUT)) {
  const bytes = fs.statSync(path.join(folder, 'onnx', 'model.onnx')).size;
  console.log(`${path.relative(ROOT, folder) || folder}  ${(bytes / 2 ** 20).toFixed(1)} MB`);
}
