// Which models a Hub repository offers, and which of its files each one needs. A repository may
// hold several precisions of one model: transformers.js / Optimum put them side by side in onnx/
// (model.onnx, model_fp16.onnx, model_q4.onnx…) with the tokenizer at the top, onnxruntime-genai
// puts each in a folder of its own with a genai_config.json (cpu_and_mobile/cpu-int4-…/). Each
// precision is one choice: its .onnx, the external data files that belong to it, and the
// tokenizer and config files the engine reads, saved in the layout the engine's modelFolder
// expects. The order and the precision come from modelFolder, so a downloaded folder is read
// the way it was chosen. Pure: no `vscode`, no network.
import * as path from 'node:path';
import { onnxPreference, onnxVariant, type OnnxPrecision } from '../../engine/modelFolder';
import type { HubFile } from './hubClient';

export interface ModelVariant {
  /** Unique within the repository, usable as a folder name. */
  id: string;
  precision: OnnxPrecision;
  layout: 'transformers' | 'genai';
  /** The decoder's path in the repository. */
  onnx: string;
  /** The repository folder that becomes the model folder ('' for the top). */
  base: string;
  /** Every file to download: the small ones first (a refused or missing file is found before the large ones), then the decoder and its external data. */
  files: HubFile[];
  bytes: number;
}

/** What the engine reads beside the model (modelFolder), downloaded with it when the repository has them. */
const SUPPORT_FILES = ['tokenizer.json', 'tokenizer_config.json', 'config.json'];
/** Files of an onnxruntime-genai folder that the model does not need. */
const NOT_NEEDED = /(^|\/)(README|LICENSE|NOTICE)[^/]*$|\.md$|(^|\/)\.git/i;

export const PRECISION_LABELS: Record<OnnxPrecision, string> = { full: 'full precision', fp16: 'float16', quantized: 'quantized' };

/**
 * A path from a server, kept only when it cannot leave the folder it is saved in: no `..`, no
 * absolute or drive paths, no backslashes or control characters, no empty parts.
 */
export function safeRepoPath(file: string): boolean {
  if (!file || file.length > 1000 || /[\\\0-\x1f:]/.test(file) || file.startsWith('/')) return false;
  return file.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

const dirOf = (file: string) => path.posix.dirname(file).replace(/^\.$/, '');
const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

/** The external data files of a .onnx: beside it, named after it (model.onnx_data, model.onnx_data_1, x.onnx.data). */
export function externalDataOf(onnx: string, files: readonly HubFile[]): HubFile[] {
  const prefixes = [`${onnx}_data`, `${onnx}.data`];
  return files.filter((f) => dirOf(f.path) === dirOf(onnx) && prefixes.some((p) => f.path.startsWith(p)));
}

function slug(text: string): string {
  return (
    text
      .replace(/\.onnx$/i, '')
      .replace(/[^\w.-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '') || 'model'
  );
}

function total(files: readonly HubFile[]): number {
  return files.reduce((sum, f) => sum + f.size, 0);
}

/** onnxruntime-genai folders: each with its genai_config.json, its decoder and its tokenizer. */
function genaiVariants(files: readonly HubFile[], byPath: Map<string, HubFile>): ModelVariant[] {
  const folders = files.filter((f) => path.posix.basename(f.path) === 'genai_config.json').map((f) => dirOf(f.path));
  return folders.flatMap((base) => {
    const own = files.filter((f) => dirOf(f.path) === base && !NOT_NEEDED.test(f.path));
    const decoder = own
      .filter((f) => f.path.toLowerCase().endsWith('.onnx'))
      .sort((a, b) => onnxPreference(a.path) - onnxPreference(b.path) || a.path.localeCompare(b.path))[0];
    if (!decoder) return [];
    // A tokenizer kept at the top of the repository serves every folder.
    const tokenizer = byPath.get(join(base, 'tokenizer.json')) ?? byPath.get('tokenizer.json');
    if (!tokenizer) return [];
    // The top's tokenizer and config files, where the folder has none of its own.
    const shared = SUPPORT_FILES.filter((name) => !own.some((o) => path.posix.basename(o.path) === name)).flatMap((name) => byPath.get(name) ?? []);
    const data = externalDataOf(decoder.path, files);
    const rest = own.filter((f) => f !== decoder && !data.includes(f));
    const chosen = [...rest, ...shared, decoder, ...data];
    return [
      {
        id: slug(base || 'genai'),
        precision: onnxVariant(decoder.path).precision,
        layout: 'genai' as const,
        onnx: decoder.path,
        base,
        files: chosen,
        bytes: total(chosen),
      },
    ];
  });
}

/** Hugging Face / transformers.js: each .onnx outside the genai folders, with the tokenizer beside it or one folder up. */
function transformersVariants(files: readonly HubFile[], byPath: Map<string, HubFile>, genaiFolders: ReadonlySet<string>): ModelVariant[] {
  const decoders = files.filter((f) => f.path.toLowerCase().endsWith('.onnx') && !genaiFolders.has(dirOf(f.path)));
  // A merged decoder only where its folder has no plain one of the same precision: the engine prefers plain ones.
  const plain = decoders.filter((f) => !onnxVariant(f.path).merged);
  const offered = decoders.filter((f) => {
    const { merged, precision } = onnxVariant(f.path);
    return !merged || !plain.some((p) => dirOf(p.path) === dirOf(f.path) && onnxVariant(p.path).precision === precision);
  });
  const variants = offered.flatMap((decoder) => {
    const dir = dirOf(decoder.path);
    const base = path.posix.basename(dir) === 'onnx' ? dirOf(dir) : dir;
    const support = (name: string) => byPath.get(join(dir, name)) ?? byPath.get(join(base, name));
    if (!support('tokenizer.json')) return [];
    const data = externalDataOf(decoder.path, files);
    const chosen = [...SUPPORT_FILES.map(support).filter((f): f is HubFile => f !== undefined), decoder, ...data];
    return [
      {
        id: slug(path.posix.basename(decoder.path)),
        precision: onnxVariant(decoder.path).precision,
        layout: 'transformers' as const,
        onnx: decoder.path,
        base,
        files: chosen,
        bytes: total(chosen),
      },
    ];
  });
  return variants;
}

/**
 * The models a repository offers, in the order modelFolder prefers them (full precision first,
 * merged decoders last). Files whose paths could leave the model folder are ignored.
 */
export function modelVariants(files: readonly HubFile[]): ModelVariant[] {
  const safe = files.filter((f) => safeRepoPath(f.path));
  const byPath = new Map(safe.map((f) => [f.path, f]));
  const genai = genaiVariants(safe, byPath);
  const genaiFolders = new Set(safe.filter((f) => path.posix.basename(f.path) === 'genai_config.json').map((f) => dirOf(f.path)));
  const all = [...transformersVariants(safe, byPath, genaiFolders), ...genai];
  // Ids name folders: the same file name in two folders takes its folder into its id.
  for (const v of all) if (all.some((o) => o !== v && o.id === v.id)) v.id = slug(v.layout === 'genai' ? v.base : v.onnx);
  return all.sort((a, b) => onnxPreference(a.onnx) - onnxPreference(b.onnx) || a.onnx.localeCompare(b.onnx));
}

/** Why a repository offers nothing, for the message: no .onnx at all, or no tokenizer.json beside one. */
export function whyNoVariant(files: readonly HubFile[]): 'no-onnx' | 'no-tokenizer' {
  return files.some((f) => f.path.toLowerCase().endsWith('.onnx')) ? 'no-tokenizer' : 'no-onnx';
}

/** Where a file of the variant goes inside the model folder: its path below the variant's base. */
export function localPath(variant: ModelVariant, file: HubFile): string {
  if (variant.base && file.path.startsWith(`${variant.base}/`)) return file.path.slice(variant.base.length + 1);
  // A tokenizer shared from the top of the repository sits at the top of the model folder.
  return variant.base ? path.posix.basename(file.path) : file.path;
}
