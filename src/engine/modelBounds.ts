// The folder a model's files must stay in. A model folder names other files — external data
// locations inside the graph, the decoder in genai_config.json, the tokenizer files found by name —
// and a hostile one can name `../../../../etc/passwd`, or a symlink out of the folder, and have
// the engine read any file the user can read (the external-data path traversal that the onnx
// package and ONNX Runtime fixed as security bugs). Every file the engine reads for a model is
// checked here once `..` and symlinks are resolved.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLensError } from './errors';

/**
 * A Hugging Face Hub cache keeps a snapshot's files as symlinks into the repository's blobs/
 * folder (`models--org--name/snapshots/<revision>/x → ../../blobs/<hash>`): for a folder inside a
 * snapshot the bound is the repository's cache folder, which holds both.
 */
const HUB_SNAPSHOT = /^(.*[\\/]models--[^\\/]+)[\\/]snapshots[\\/][^\\/]+(?:[\\/].*)?$/;

/** The real path of `file`, or of its nearest existing folder joined with the rest when it does not exist. */
function realPath(file: string): string {
  const resolved = path.resolve(file);
  try {
    return fs.realpathSync(resolved);
  } catch {
    const parent = path.dirname(resolved);
    return parent === resolved ? resolved : path.join(realPath(parent), path.basename(resolved));
  }
}

/** The real folder every file of the model in `folder` must lie in. */
export function modelRoot(folder: string): string {
  const real = realPath(folder);
  return HUB_SNAPSHOT.exec(real)?.[1] ?? real;
}

function inside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/**
 * `file` as given, once checked to lie inside `root` (from modelRoot) after resolving `..` and
 * symlinks; otherwise an error that says so. `what` names the reference in the message, e.g.
 * "its external data ../x.bin"; `referrer` is the file that made it (the error names it).
 */
export function insideModel(root: string, file: string, what: string, referrer: string): string {
  if (inside(root, realPath(file))) return file;
  throw new ModelLensError({
    code: 'outside-folder',
    message: `The model names ${what}, which lies outside the model's folder; Model Lens does not read it.`,
    file: referrer,
    hint: `A model may read only files inside its own folder (${root}), after following ".." and symbolic links. If you trust this model, copy the file into the folder and refer to it from there.`,
  });
}
