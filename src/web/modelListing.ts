// What the web edition reads of a model folder before the engine loads it, and the paths the
// engine sees it under. Pure: src/web/webModels.ts does the reading through vscode.workspace.fs.
import { basename, dirname, normalize } from './shims/path';

/** The parts of a URI that name a file (vscode.Uri has them). */
export interface UriParts {
  scheme: string;
  authority: string;
  path: string;
}

/**
 * The path the engine reads a URI under, in the worker's in-memory file system:
 * /<scheme>/<authority><path>, so that a model keeps its folder and file names (the engine names
 * models and files by them) and two URIs never share a path.
 */
export function virtualPath(uri: UriParts): string {
  const authority = uri.authority ? `/${encodeURIComponent(uri.authority)}` : '';
  const path = uri.path.startsWith('/') ? uri.path : `/${uri.path}`;
  return `/${uri.scheme}${authority}${path}`.replace(/\/+$/, '') || '/';
}

/** The folder whose files a model target needs: the target folder, or the .onnx file's (one up from onnx/). */
export function modelFolderPath(targetPath: string, isFile: boolean): string {
  if (!isFile) return targetPath;
  const dir = dirname(targetPath);
  return basename(dir) === 'onnx' ? dirname(dir) : dir;
}

/** A file of a model folder as listed, relative to the folder ('onnx/model.onnx'). */
export interface ListedFile {
  name: string;
  size: number;
}

/** JSON files (configs, tokenizers) are read first: the engine's choice of .onnx may depend on them. */
export function isJson(name: string): boolean {
  return name.toLowerCase().endsWith('.json');
}

const isOnnx = (name: string) => name.toLowerCase().endsWith('.onnx');

/**
 * The files to read for a model whose graph is `onnx` (relative name, as chosen by the engine's
 * own modelFolder.ts), within `maxBytes`: every file but the other .onnx files and what their
 * names say is their external data (`model_fp16.onnx_data` beside `model_fp16.onnx`). A model
 * whose files exceed `maxBytes` gets only its small files read: the engine then refuses it with
 * its own message, from the sizes. Without an `onnx` (the folder holds none, or the engine could
 * not choose), only the JSON files are read, and the engine says what is missing.
 */
export function filesToRead(files: readonly ListedFile[], onnx: string | undefined, maxBytes: number): string[] {
  const small = files.filter((f) => isJson(f.name)).map((f) => f.name);
  if (!onnx) return small;
  const others = files.filter((f) => isOnnx(f.name) && f.name !== onnx).map((f) => f.name);
  const chosen = files.filter((f) => f.name === onnx || !(isOnnx(f.name) || others.some((o) => f.name.startsWith(o))));
  const total = chosen.reduce((sum, f) => sum + f.size, 0);
  return total > maxBytes ? small : chosen.map((f) => f.name);
}

/**
 * The model `modelLens.modelPath` names on the web, as a URI string: empty is the default model;
 * a URI (`vscode-vfs://github/org/repo/model`) is itself; an absolute path is on the first
 * workspace folder's file system (a local path where there is none); a relative path starts at
 * the first workspace folder, except in Restricted Mode, where it is the default model, as on the
 * desktop. `~` means nothing on the web.
 */
export function webTarget(
  configured: string,
  defaultModel: string,
  folder: UriParts | undefined,
  trusted: boolean,
  uriString: (uri: UriParts) => string,
): string {
  const value = configured.trim();
  if (!value) return defaultModel;
  if (/^[a-z][\w+.-]*:\/\//i.test(value)) return value;
  if (value.startsWith('/')) return uriString({ scheme: folder?.scheme ?? 'file', authority: folder?.authority ?? '', path: value });
  if (!folder || !trusted) return defaultModel;
  return uriString({ ...folder, path: normalize(`${folder.path}/${value}`) });
}
