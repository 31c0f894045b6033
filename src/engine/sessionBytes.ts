// How a model's bytes reach each kind of runner. A remote runner (WebGPU in a webview) and native
// ONNX Runtime take the model in memory. ONNX Runtime WebAssembly takes the graph without its
// weights, and reads each weight from disk as it copies it into its heap (FileBytes): the model
// is then held once at the peak, in the heap, instead of twice.
import { constants } from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLensError } from './errors';
import { insideModel } from './modelBounds';
import { FileBytes } from './onnx/fileBytes';
import { moveWeightsOut } from './onnx/externalWeights';
import { allTensors, type ModelProto } from './onnx/model';
import type { ModelBytes, RunnerFactory } from './runner';

/** The name under which a model's own bytes are mounted as its external data (see moveWeightsOut). */
const WEIGHTS_LOCATION = 'model-lens-weights.bin';

/** External data the model names: each file, checked to exist next to it, and the bytes read from it. */
export interface ExternalFile {
  path: string;
  data: string;
  bytes: number;
}

/**
 * The external data files of `model` (the file `onnxFile`), wherever a tensor names one, each
 * checked to lie inside `root`, the model's folder (see modelBounds): a runtime reads only these.
 */
export function externalDataFiles(model: ModelProto, onnxFile: string, root: string): ExternalFile[] {
  const files = new Map<string, ExternalFile>();
  for (const t of allTensors(model)) {
    if (t.dataLocation !== 1) continue;
    const entry = (key: string) => t.externalData?.find((e) => e.key === key)?.value;
    const location = entry('location');
    if (!location) continue;
    let file = files.get(location);
    if (!file) {
      const data = insideModel(root, path.join(path.dirname(onnxFile), location), `its external data ${location}`, onnxFile);
      if (!fs.existsSync(data)) {
        throw new ModelLensError({
          code: 'damaged-model',
          message: `The model keeps its weights in ${location}, which is missing.`,
          file: data,
          hint: 'Copy the external data file into the folder of the .onnx file.',
        });
      }
      file = { path: location, data, bytes: 0 };
      files.set(location, file);
    }
    const length = entry('length');
    file.bytes += length !== undefined ? Number(length) : fs.statSync(file.data).size - Number(entry('offset') ?? 0);
  }
  return [...files.values()];
}

/**
 * `model` for native ONNX Runtime. It reads external data from disk itself, from the model's
 * folder, whatever its size, but refuses a file whose real path leaves that folder; such files (the
 * symlinks into the blobs of a Hugging Face cache, which modelBounds allows within the model's
 * root) are handed over in buffers instead, the only other form onnxruntime-node takes, each at
 * most buffer.constants.MAX_LENGTH (4 GB) long.
 */
export function forNative(model: Uint8Array, onnxFile: string, external: ExternalFile[]): ModelBytes {
  const folder = fs.realpathSync(path.dirname(onnxFile));
  const inFolder = (file: string) => !path.relative(folder, fs.realpathSync(file)).startsWith('..');
  if (external.every((e) => inFolder(e.data))) return { model, externalData: [], externalFolder: path.dirname(onnxFile) };
  const tooLarge = external.find((e) => fs.statSync(e.data).size > constants.MAX_LENGTH);
  if (tooLarge) {
    throw new ModelLensError({
      code: 'too-large',
      message: `The external data file ${tooLarge.path} lies outside the model's folder (it is a link) and holds more than the ${constants.MAX_LENGTH / 1024 ** 3} GB native ONNX Runtime takes from such a file.`,
      file: tooLarge.data,
      hint: `Copy ${tooLarge.path} into the folder of the .onnx file, in place of the link.`,
    });
  }
  return { model, externalData: external.map((e) => ({ path: e.path, data: fs.readFileSync(e.data) })) };
}

/**
 * `model` (the file `onnxFile`, as it was when `stat` was taken and it was read, possibly with
 * bytes appended in memory) for ONNX Runtime WebAssembly: a copy of its graph without the large
 * weights, which it reads from disk, like the external data files.
 */
export function readFromDisk(model: Uint8Array, onnxFile: string, stat: fs.Stats, external: ExternalFile[]): ModelBytes {
  const externalData = external.map((e) => ({ path: e.path, data: new FileBytes(e.data, e.bytes) }));
  const moved = moveWeightsOut(model, WEIGHTS_LOCATION);
  // Without large weights inline the graph is small: a copy of its own, like the rewritten one, so
  // that what the caller does to `model` afterwards does not reach the runner.
  if (!moved) return { model: new Uint8Array(model), externalData };
  const weights = new FileBytes(onnxFile, moved.movedBytes, model.slice(stat.size), stat);
  return { model: moved.graph, externalData: [...externalData, { path: WEIGHTS_LOCATION, data: weights }] };
}

/**
 * ONNX Runtime WebAssembly runners given external data that reads from disk. A runtime that did
 * not take the weights through it (its loader is not a public contract), or failed to load them
 * so, gets the same bytes again in plain buffers; a file that changed meanwhile is an error.
 */
export function checkedDiskReads(runners: RunnerFactory): RunnerFactory {
  return async (bytes) => {
    const lazy = bytes.externalData.map((e) => e.data).filter((d): d is FileBytes => d instanceof FileBytes);
    if (lazy.length === 0) return runners(bytes);
    lazy.forEach((f) => f.resetCount());
    const runner = await runners(bytes).catch(() => undefined);
    const changed = lazy.find((f) => f.changed());
    if (changed) {
      await runner?.release();
      throw new ModelLensError({
        code: 'damaged-model',
        message: 'The model changed on disk while it was being loaded.',
        file: changed.file,
        hint: 'Load it again once it is written completely.',
      });
    }
    if (runner && lazy.every((f) => f.tookWeights())) return runner;
    await runner?.release();
    return runners({
      model: bytes.model,
      externalData: bytes.externalData.map((e) => (e.data instanceof FileBytes ? { path: e.path, data: e.data.readAll() } : e)),
    });
  };
}
