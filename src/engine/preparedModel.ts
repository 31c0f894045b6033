// A model file read, checked and instrumented, and the bytes each runner takes: the model with
// its instrumentation appended (the weights never decoded, nothing in the file moved), and the
// model as it is, for when the instrumented copy does not load. Holds on to none of the bytes
// once the runners have them.
import * as fs from 'node:fs';
import { ModelLensError } from './errors';
import { instrument } from './instrument/instrument';
import { LENS_CHUNKS } from './instrument/lens';
import type { InstrumentationPlan } from './instrument/plan';
import type { ModelFiles } from './modelFolder';
import { acceptsBatch, contextLength, embeddingRows, parameterCount, precision } from './modelShape';
import { readRange } from './onnx/fileBytes';
import { GraphIndex } from './onnx/graph';
import { findMergedDecoder, inlineBranch } from './onnx/mergedDecoder';
import { decodeModel, encodeSuffix, withHeadroom, type ModelProto, type ValueInfo } from './onnx/model';
import { renameOutputsInPlace } from './onnx/renameOutputs';
import { concat } from './onnx/wire';
import type { ModelBytes } from './runner';
import { externalDataFiles, forNative, readFromDisk } from './sessionBytes';
import { checkStaticMemory, WASM_HEAP_BYTES } from './staticMemory';
import type { Backend, ModelInfo } from './types';

const gb = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GB`;

/** What reading a model depends on. */
export interface ReadOptions {
  backend: Backend;
  /** Models larger than this (file plus external data) are refused before they are read. */
  maxModelBytes?: number;
  /** Predictions kept per layer and position by the logit lens. */
  lensTopK: number;
  /** Whether a runner elsewhere (WebGPU in a webview) takes the model, in memory. */
  remote: boolean;
}

function decode(bytes: Uint8Array, file: string): ModelProto {
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw new ModelLensError({
      code: 'not-onnx',
      message: `The file is not an ONNX model, or it is damaged (${(e as Error).message}).`,
      file,
      hint: 'Choose the .onnx file of a language model exported with torch.onnx, Optimum or onnxruntime-genai.',
    });
  }
  if (model.graph.node.length === 0) {
    throw new ModelLensError({ code: 'not-onnx', message: 'The file holds no ONNX graph.', file, hint: 'Choose the .onnx file of a language model.' });
  }
  return model;
}

function readInto(file: string, into: Uint8Array): void {
  try {
    readRange(file, into, 0);
  } catch (e) {
    throw new ModelLensError({
      code: 'damaged-model',
      message: `The model file could not be read whole (${(e as Error).message}).`,
      file,
      hint: 'Load it again once it is written completely.',
    });
  }
}

function checkSize(bytes: number, limit: number | undefined, file: string): void {
  if (limit && bytes > limit) {
    const mb = (n: number) => `${Math.round(n / 1048576)} MB`;
    throw new ModelLensError({
      code: 'too-large',
      message: `The model is ${mb(bytes)}, more than the ${mb(limit)} allowed by modelLens.maxModelSizeMB.`,
      file,
      hint: 'Raise modelLens.maxModelSizeMB if this machine has the memory, or choose a smaller (e.g. quantized) export.',
    });
  }
}

/** A model's bytes for the runner that takes it: remote (in memory), and this thread's. */
export interface SessionBytes {
  remote?: ModelBytes;
  local: ModelBytes;
}

/** What readModel learns from a model's bytes; it holds on to none of them. */
export interface PreparedModel {
  plan: InstrumentationPlan;
  /** The graph's inputs, the model's own (the first modelInputs) then the instrumentation's. */
  inputs: ValueInfo[];
  modelInputs: number;
  instrumented: SessionBytes;
  /** The model as it is, for when the instrumented copy does not load. */
  plain: () => SessionBytes;
  fileBytes: number;
  producer: string;
  precision: ModelInfo['precision'];
  parameters: number;
  embeddingRows: number | undefined;
  positions: number;
  /** Whether the graph accepts several rows of a batch (acceptsBatch). */
  batchable: boolean;
  /** What was done to the graph to read it. */
  notes: string[];
}

/** Reads, checks and instruments a model, and makes the bytes each runner takes. */
export function readModel(
  files: ModelFiles,
  options: ReadOptions,
  tokenizerVocab: number,
  config: Record<string, unknown>,
  tokenizerConfig: Record<string, unknown>,
): PreparedModel {
  const stat = fs.statSync(files.onnx);
  const fileBytes = stat.size;
  checkSize(fileBytes, options.maxModelBytes, files.onnx);
  // Read straight into a buffer with room for the instrumentation, which is appended in place.
  const file = withHeadroom((into) => readInto(files.onnx, into), fileBytes);
  const bytes = file.bytes;
  const asRead = decode(bytes, files.onnx);
  // A merged decoder's layers are inside an If: its branch without a cache becomes the graph.
  const merged = findMergedDecoder(asRead);
  const { suffix: branch, inlined: model } = merged ? inlineBranch(bytes, asRead, merged) : { suffix: new Uint8Array(0), inlined: asRead };
  const notes = merged
    ? [`A merged decoder: Model Lens runs its branch without a KV cache (${merged.branch} of the If on ${asRead.graph.node[merged.node].input[0]}).`]
    : [];
  const index = new GraphIndex(model);
  const undefinedInput = index.firstUndefinedInput();
  if (undefinedInput) {
    throw new ModelLensError({
      code: 'damaged-model',
      message: `The model is damaged or truncated: node ${undefinedInput.node.name || undefinedInput.node.opType} reads ${undefinedInput.name}, which nothing defines.`,
      file: files.onnx,
      hint: 'Export or download the model again.',
    });
  }
  const external = externalDataFiles(model, files.onnx, files.root);
  const modelBytes = fileBytes + external.reduce((sum, e) => sum + fs.statSync(e.data).size, 0);
  checkSize(modelBytes, options.maxModelBytes, files.onnx);
  if (options.backend !== 'native' && modelBytes > WASM_HEAP_BYTES) {
    throw new ModelLensError({
      code: 'too-large',
      message: `The model's files hold ${gb(modelBytes)}: more than ONNX Runtime WebAssembly can address (${gb(WASM_HEAP_BYTES)}), whatever modelLens.maxModelSizeMB allows.`,
      file: files.onnx,
      hint: 'Run it on the native backend: set modelLens.backend to "native" (or "auto"), with the Model Lens package for this platform installed. Native ONNX Runtime reads external data from disk, not through JavaScript.',
    });
  }
  // Without a configured limit, a WebAssembly heap bounds the model and its tensors together; native
  // memory bounds nothing, so there only a tensor that alone would fill such a heap is refused.
  checkStaticMemory(index, files.onnx, modelBytes, options.maxModelBytes ?? (options.backend === 'native' ? modelBytes + WASM_HEAP_BYTES : WASM_HEAP_BYTES));
  // Native ONNX Runtime is not short of memory; a WebAssembly or WebGPU heap is.
  const lensChunks = options.backend === 'native' ? 1 : LENS_CHUNKS;
  const { plan, suffix, renames } = instrument(index, files.onnx, tokenizerVocab, options.lensTopK, lensChunks);
  const forRunners = (bytes: Uint8Array): SessionBytes => {
    const full = { model: bytes, externalData: external.map((e) => ({ path: e.path, data: e.data })) };
    return {
      remote: options.remote ? full : undefined,
      local: options.backend === 'native' ? forNative(bytes, files.onnx, external) : readFromDisk(bytes, files.onnx, stat, external),
    };
  };
  // The hook tensors' makers output twins instead, renamed in the file's bytes (see interventions.ts).
  const twins = renameOutputsInPlace([bytes, branch], renames);
  const instrumented = forRunners(file.append(concat([branch, encodeSuffix(suffix)])));
  // Native and remote runners take these very bytes when their session is made: the plain model's
  // names are put back only if it is needed. WebAssembly's graph is a copy made above, and the
  // plain one is made now, while the bytes are in memory, though needed only if the instrumented
  // copy fails.
  const inMemory = options.backend === 'native' || !!options.remote;
  const plainBytes = () => {
    twins.undo();
    return forRunners(merged ? file.append(branch) : bytes);
  };
  const plain = inMemory ? undefined : plainBytes();
  return {
    plan,
    inputs: [...index.inputs.values(), ...suffix.input],
    modelInputs: index.inputs.size,
    instrumented,
    plain: () => plain ?? plainBytes(),
    fileBytes,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    precision: precision(index),
    parameters: parameterCount(index),
    embeddingRows: embeddingRows(index),
    positions: contextLength(index, config, tokenizerConfig),
    batchable: acceptsBatch(index),
    notes,
  };
}
