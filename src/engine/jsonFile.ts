// The JSON files of a model folder (tokenizer, configs), read with a bound on their size.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLensError } from './errors';

/**
 * Most bytes of a JSON file from a model folder. The largest real tokenizer.json files (Gemma's,
 * with 256k tokens) are about 34 MB, and a tokenizer takes about nine times its file in the
 * worker's heap once parsed and loaded (measured with GPT-2's): a folder must not make the worker
 * parse a file of any size.
 */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

export function readJson(file: string | undefined, code: 'bad-tokenizer' | 'load-failed'): Record<string, unknown> {
  if (!file) return {};
  // resolveModelFiles found it as a regular file: its size is what a read takes.
  const stat = fs.statSync(file);
  if (stat.size > MAX_JSON_BYTES) {
    throw new ModelLensError({
      code: 'too-large',
      message: `${path.basename(file)} is ${Math.ceil(stat.size / 1048576)} MB; Model Lens reads JSON files of at most ${MAX_JSON_BYTES / 1048576} MB (the largest real tokenizers, Gemma's, are about 34 MB).`,
      file,
      hint: "No real model needs a file this large; copy the model's own files from its repository.",
    });
  }
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ModelLensError({
      code,
      message: `${path.basename(file)} is not valid JSON (${(e as Error).message}).`,
      file,
      hint: 'Copy the file again from the model repository.',
    });
  }
}
