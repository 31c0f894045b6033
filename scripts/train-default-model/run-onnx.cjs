// Runs an ONNX model with onnxruntime-web (WASM, the runtime the extension uses) and
// writes its logits as little-endian float32, for export_onnx.py to compare with PyTorch.
// Usage: node run-onnx.cjs request.json logits.f32
// request.json: { model, shape: [batch, sequence], input_ids: number[], attention_mask: number[] }
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ort = require(path.resolve(__dirname, '../../node_modules/onnxruntime-web'));

async function main() {
  const [requestPath, outputPath] = process.argv.slice(2);
  const request = JSON.parse(fs.readFileSync(requestPath, 'utf8'));
  const session = await ort.InferenceSession.create(fs.readFileSync(request.model));
  const int64 = (values) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), request.shape);
  const { logits } = await session.run({
    input_ids: int64(request.input_ids),
    attention_mask: int64(request.attention_mask),
  });
  const data = logits.data;
  fs.writeFileSync(outputPath, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
