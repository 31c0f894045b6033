import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';

// The embedded default model's tokenizer, loaded with the same library the engine uses,
// checked against the Python tokenizer that trained the model (ids stored in the goldens).

const repoRoot = path.resolve(__dirname, '../..');

function readJson<T>(relative: string): T {
  return JSON.parse(readFileSync(path.join(repoRoot, relative), 'utf8')) as T;
}

interface GoldenInput {
  name: string;
  text: string | null;
  ids: number[];
}

interface TokenizerFile {
  model: { vocab: Record<string, number> };
  added_tokens: { id: number; content: string }[];
}

const tokenizerJson = readJson<TokenizerFile & Record<string, unknown>>('media/models/lens-tiny/tokenizer.json');
const tokenizerConfig = readJson<Record<string, unknown>>('media/models/lens-tiny/tokenizer_config.json');
const modelConfig = readJson<{ bos_token_id: number; vocab_size: number }>('media/models/lens-tiny/config.json');
const goldens = readJson<{ inputs: GoldenInput[] }>('test/fixtures/lens-tiny-goldens/goldens.json');
const tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
const bos = modelConfig.bos_token_id;

const samples: Record<string, string> = {
  typescript: 'export async function load(uri: string): Promise<Buffer> {\n  return fs.readFile(uri);\n}\n',
  python: 'def mean(xs):\n    """Average of a list."""\n    return sum(xs) / len(xs)\n',
  prose: "The model's attention isn't magic: it's a weighted average. Really!  Two spaces .",
  chinese: '注意力机制是变换器模型的核心。',
  emoji: 'ship it 🚀🎉 👩🏽‍💻 ✔︎',
  crlf: 'line one\r\nline two\r\n\r\n',
  tabs: '\tindented\t\ttwice\n\t\t\n',
  whitespace: '   leading and trailing   \n\n\n',
  mixed: 'x=1;y=2 // ½ café naïve Ω≈ç √ 0x1F\u00a0nbsp',
};

describe('lens-tiny tokenizer', () => {
  it('has exactly the vocabulary of the model, <|endoftext|> last', () => {
    const size = Object.keys(tokenizerJson.model.vocab).length + tokenizerJson.added_tokens.length;
    expect(size).toBe(modelConfig.vocab_size);
    expect(tokenizerJson.added_tokens).toEqual([expect.objectContaining({ id: bos, content: '<|endoftext|>' })]);
    expect(bos).toBe(modelConfig.vocab_size - 1);
  });

  it.each(Object.entries(samples))('round-trips %s exactly', (_name, text) => {
    const ids = tokenizer.encode(text).ids;
    expect(tokenizer.decode(ids, { skip_special_tokens: true })).toBe(text);
  });

  it('prepends <|endoftext|> as BOS and nowhere else', () => {
    const ids = tokenizer.encode('const x = 1;').ids;
    expect(ids[0]).toBe(bos);
    expect(ids.slice(1)).not.toContain(bos);
    expect(tokenizer.decode([bos], { skip_special_tokens: false })).toBe('<|endoftext|>');
  });

  it('encodes the golden texts exactly as the Python tokenizer did', () => {
    const withText = goldens.inputs.filter((input) => input.text !== null);
    expect(withText.map((input) => input.name)).toEqual(['typescript', 'english']);
    for (const input of withText) {
      expect(tokenizer.encode(input.text as string).ids).toEqual(input.ids);
    }
  });

  it('stores the id-only golden input as BOS + R + R', () => {
    const repeated = goldens.inputs.find((input) => input.name === 'repeated');
    expect(repeated?.ids[0]).toBe(bos);
    const body = repeated?.ids.slice(1) ?? [];
    const half = body.length / 2;
    expect(body.slice(0, half)).toEqual(body.slice(half));
    expect(body).not.toContain(bos);
  });
});
