// onnxruntime-web and onnxruntime-node both register a backend named 'cpu' with onnxruntime-common,
// which keeps the first registration of a name whatever the priority. The extension's bundles give
// onnxruntime-web its own copy of onnxruntime-common, so there native is native; the tests load
// both from node_modules, where they share one, and the engine imports onnxruntime-web first. Loaded
// here, before any test file, native registers first and 'cpu' means native ONNX Runtime in the
// tests as in the extension (WebAssembly sessions ask for 'wasm', which only onnxruntime-web has).
try {
  require('onnxruntime-node');
} catch {
  // Not installed: the tests that need it say so (test/integration/ciCompleteness.test.ts).
}
