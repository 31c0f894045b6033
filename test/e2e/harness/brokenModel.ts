import fs from 'node:fs';
import path from 'node:path';
import { SAMPLE_WORKSPACE } from './paths';

/**
 * Writes a model folder `name` into `workspace` that fails to load: its .onnx is not ONNX and its
 * tokenizer.json is a Markdown file. Returns the folder's path.
 */
export function writeBrokenModel(workspace: string, name = 'broken-model'): string {
  const folder = path.join(workspace, name);
  fs.mkdirSync(path.join(folder, 'onnx'), { recursive: true });
  fs.writeFileSync(path.join(folder, 'onnx', 'model.onnx'), 'this is not an ONNX model');
  fs.copyFileSync(path.join(SAMPLE_WORKSPACE, 'notes.md'), path.join(folder, 'tokenizer.json'));
  return folder;
}
