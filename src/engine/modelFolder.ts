// Finds the files of a model in the layouts people actually have: Hugging Face / transformers.js
// (config.json, tokenizer files, onnx/model*.onnx or model.onnx), onnxruntime-genai
// (genai_config.json naming the decoder file), or a bare .onnx with a tokenizer beside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLensError } from './errors';
import { readJson } from './jsonFile';
import { insideModel, modelRoot } from './modelBounds';

export interface ModelFiles {
  /** Display name: the folder's name, or the model's own name from its config. */
  name: string;
  folder: string;
  /** The real folder every file the model names must lie in (see modelBounds). */
  root: string;
  onnx: string;
  /** The folder's other .onnx files, relative to it (fp16, quantized, merged variants). */
  otherOnnx: string[];
  tokenizer: string;
  tokenizerConfig?: string;
  config?: string;
  genaiConfig?: string;
}

const LAYOUTS_HINT =
  'Point Model Lens at a folder with tokenizer.json and onnx/model.onnx (Hugging Face / transformers.js), a folder with genai_config.json (onnxruntime-genai), or at a .onnx file with tokenizer.json beside it.';

export type OnnxPrecision = 'full' | 'fp16' | 'quantized';

/**
 * What a .onnx file's name says of it, as Optimum, transformers.js and onnxruntime-genai name
 * them: its weights' precision (4- and 8-bit forms are all "quantized"; q4f16 too) and whether it
 * is a merged decoder or one that expects a cache.
 */
export function onnxVariant(file: string): { precision: OnnxPrecision; merged: boolean } {
  const name = path.basename(file).toLowerCase();
  const precision = /quant|int8|uint8|q4|bnb4|int4/.test(name) ? 'quantized' : /fp16|half/.test(name) ? 'fp16' : 'full';
  return { precision, merged: /merged|with_past/.test(name) };
}

/**
 * The order in which a folder's .onnx files are preferred, lowest first: unquantized
 * full-precision files first, merged decoders (whose layers hide inside an If) last.
 */
export function onnxPreference(file: string): number {
  const name = path.basename(file).toLowerCase();
  const { precision, merged } = onnxVariant(file);
  let score = 0;
  if (name === 'model.onnx' || name === 'decoder_model.onnx') score -= 10;
  if (/fp16|half/.test(name)) score += 1;
  if (precision === 'quantized') score += 2;
  if (merged) score += 4;
  return score;
}

function existing(file: string): string | undefined {
  return fs.existsSync(file) && fs.statSync(file).isFile() ? file : undefined;
}

function onnxFilesIn(folder: string): string[] {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) return [];
  return fs
    .readdirSync(folder)
    .filter((f) => f.toLowerCase().endsWith('.onnx'))
    .map((f) => path.join(folder, f));
}

function genaiDecoder(genaiConfig: string): string | undefined {
  try {
    const config = readJson(genaiConfig, 'load-failed') as { model?: { decoder?: { filename?: unknown } | string } };
    const decoder = config?.model?.decoder;
    const file = typeof decoder === 'string' ? decoder : decoder?.filename;
    return typeof file === 'string' ? file : undefined;
  } catch (e) {
    // A file too large to read is refused; a broken one is only a folder without that hint.
    if (e instanceof ModelLensError && e.code === 'too-large') throw e;
    return undefined;
  }
}

function findOnnx(folder: string, root: string, genaiConfig?: string): string | undefined {
  const fromGenai = genaiConfig && genaiDecoder(genaiConfig);
  if (fromGenai) return existing(insideModel(root, path.join(folder, fromGenai), `its decoder ${fromGenai}`, genaiConfig));
  const candidates = [...onnxFilesIn(path.join(folder, 'onnx')), ...onnxFilesIn(folder)];
  return candidates.sort((a, b) => onnxPreference(a) - onnxPreference(b) || a.localeCompare(b))[0];
}

function modelName(folder: string, config?: string): string {
  if (config) {
    try {
      const own = readJson(config, 'load-failed')._name_or_path;
      if (typeof own === 'string' && own && !path.isAbsolute(own)) return own;
    } catch {
      // A broken config.json only costs the display name; the loader reports real problems.
    }
  }
  return path.basename(folder);
}

/** Resolves a folder or .onnx path to the files of a model, or says what is missing. */
export function resolveModelFiles(target: string): ModelFiles {
  const resolved = path.resolve(target);
  if (!fs.existsSync(resolved)) {
    throw new ModelLensError({ code: 'model-not-found', message: 'The model path does not exist.', file: resolved, hint: LAYOUTS_HINT });
  }
  const isFile = fs.statSync(resolved).isFile();
  // A model in onnx/ keeps its tokenizer one folder up.
  const onnxDir = isFile ? path.dirname(resolved) : resolved;
  const folder = isFile && path.basename(onnxDir) === 'onnx' ? path.dirname(onnxDir) : onnxDir;
  const root = modelRoot(folder);
  // Every file found by name is checked: any of them may be a symlink out of the folder.
  const within = (file: string | undefined) => file && insideModel(root, file, path.relative(folder, file), file);
  const inFolders = (name: string) => within(existing(path.join(onnxDir, name)) ?? existing(path.join(folder, name)));
  const genaiConfig = inFolders('genai_config.json');
  // A .onnx file the user chose is theirs to choose; one found in the folder is checked.
  const onnx = isFile ? resolved : within(findOnnx(folder, root, genaiConfig));
  if (!onnx) {
    throw new ModelLensError({ code: 'model-not-found', message: 'No .onnx model file was found in the folder.', file: resolved, hint: LAYOUTS_HINT });
  }
  const tokenizer = inFolders('tokenizer.json');
  if (!tokenizer) {
    throw new ModelLensError({
      code: 'no-tokenizer',
      message: 'The model has no tokenizer.json beside it.',
      file: folder,
      hint: 'Model Lens needs the Hugging Face tokenizer.json (and tokenizer_config.json) of the model; copy them from the model repository into this folder.',
    });
  }
  const config = inFolders('config.json');
  const otherOnnx = [...onnxFilesIn(path.join(folder, 'onnx')), ...onnxFilesIn(folder)].filter((f) => f !== onnx).map((f) => path.relative(folder, f));
  return {
    name: modelName(folder, config),
    folder,
    root,
    onnx,
    otherOnnx,
    tokenizer,
    tokenizerConfig: inFolders('tokenizer_config.json'),
    config,
    genaiConfig,
  };
}
