// Writes a built model into a model folder with a character-level byte-level-BPE tokenizer whose
// vocabulary fits the small test models.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The characters the test tokenizer knows; 'Ġ' and 'Ċ' are GPT-2's byte-level space and newline. */
export const TEST_ALPHABET = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 'Ġ', 'Ċ', ...'.,;:()=+'];

export function testTokenizerJson(): object {
  const vocab = Object.fromEntries(TEST_ALPHABET.map((c, i) => [c, i]));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: [] },
  };
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
