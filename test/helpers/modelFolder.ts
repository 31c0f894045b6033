// Writes a built model into a model folder with a character-level byte-level-BPE tokenizer whose
// vocabulary fits the small test models.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { byteLevelBpe } from './tokenizers';

/** The characters the test tokenizer knows; 'Ġ' and 'Ċ' are GPT-2's byte-level space and newline. */
export const TEST_ALPHABET = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 'Ġ', 'Ċ', ...'.,;:()=+'];

export function testTokenizerJson(): object {
  return byteLevelBpe(TEST_ALPHABET, []);
}

/** The test tokenizer splitting first on a regular expression, as Llama 3's and Qwen's do. */
export function testTokenizerSplittingOn(pattern: string): object {
  const json = testTokenizerJson() as { pre_tokenizer: object };
  const split = { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false };
  return { ...json, pre_tokenizer: { type: 'Sequence', pretokenizers: [split, json.pre_tokenizer] } };
}

/** A fresh model folder (onnx/model.onnx + tokenizer files) in the temp directory. */
export function writeModelFolder(name: string, onnx: Uint8Array, extra: Record<string, string | Uint8Array> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `model-lens-${name}-`));
  fs.mkdirSync(path.join(dir, 'onnx'));
  fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), onnx);
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(testTokenizerJson()));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 64 }));
  for (const [file, content] of Object.entries(extra)) fs.writeFileSync(path.join(dir, file), content);
  return dir;
}
