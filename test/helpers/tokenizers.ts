// Small tokenizer.json files of the two families decoder models use, written the way the
// Hugging Face tokenizers library writes them: GPT-2's byte-level BPE and Llama's SentencePiece
// BPE with byte fallback.

import { byteLevelAlphabet } from '../../src/engine/offsets';

function bpe(vocab: string[], merges: string[], extra: object = {}): object {
  return {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    merges,
    ...extra,
  };
}

/** An added special token, as tokenizer.json lists it. */
function specialToken(id: number, content: string): object {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** Merges that build the given words from their characters, left to right. */
function mergesFor(words: string[]): { tokens: string[]; merges: string[] } {
  const tokens: string[] = [];
  const merges: string[] = [];
  for (const word of words) {
    const chars = [...word];
    let left = chars[0];
    for (const c of chars.slice(1)) {
      const merged = left + c;
      if (!tokens.includes(merged)) {
        merges.push(`${left} ${c}`);
        tokens.push(merged);
      }
      left = merged;
    }
  }
  return { tokens, merges };
}

/**
 * A GPT-2-style byte-level BPE tokenizer.json over `vocab` (vocabulary strings in byte-level
 * spelling), optionally with a BOS token every text starts with.
 */
export function byteLevelBpe(vocab: string[], merges: string[], bos?: string): object {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const all = bos ? [...vocab, bos] : vocab;
  const bosId = all.length - 1;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: bos ? [specialToken(bosId, bos)] : [],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: bos
      ? {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [],
          special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
        }
      : null,
    decoder: byteLevel,
    model: bpe(all, merges),
  };
}

export function byteLevelTokenizer(): { json: object; config: object } {
  const { tokens, merges } = mergesFor(['Ġthe', 'Ġcat', 'ing', 'Ġfunction', 'ĠĠ', 'čĊ', 'ä¸Ń']);
  const special = '<|endoftext|>';
  return { json: byteLevelBpe([...byteLevelAlphabet(), ...tokens], merges, special), config: { bos_token: special, eos_token: special } };
}

export function sentencePieceTokenizer(): { json: object; config: object } {
  const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const letters = [...'▁abcdefghijklmnopqrstuvwxyzTHE.,é中'];
  const { tokens, merges } = mergesFor(['▁the', '▁cat', 'ing', '▁▁']);
  const vocab = ['<unk>', '<s>', '</s>', ...bytes, ...letters, ...tokens];
  return {
    json: {
      version: '1.0',
      added_tokens: ['<unk>', '<s>', '</s>'].map((content, id) => specialToken(id, content)),
      normalizer: {
        type: 'Sequence',
        normalizers: [
          { type: 'Prepend', prepend: '▁' },
          { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
        ],
      },
      pre_tokenizer: null,
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [],
        special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
      },
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          { type: 'Strip', content: ' ', start: 1, stop: 0 },
        ],
      },
      model: bpe(vocab, merges, { unk_token: '<unk>', byte_fallback: true, fuse_unk: true }),
    },
    config: { bos_token: '<s>', eos_token: '</s>', add_bos_token: true },
  };
}

/**
 * A BERT tokenizer.json (lower-casing BertNormalizer, BertPreTokenizer, WordPiece with `##`
 * continuations, [CLS] text [SEP]) over `words` and their `##` pieces, in `size` ids: the five
 * special tokens first, as BERT's vocab.txt has them at 0, 100–103, then the words, then unused
 * entries. With its tokenizer_config.json, which names the mask token.
 */
export function wordPieceTokenizer(words: string[], size: number): { json: object; config: object } {
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const vocab = [...special, ...words];
  while (vocab.length < size) vocab.push(`[unused${vocab.length}]`);
  const id = (token: string) => vocab.indexOf(token);
  return {
    json: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: special.map((content) => specialToken(id(content), content)),
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
        pair: [],
        special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: '[UNK]',
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 100,
        vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
      },
    },
    config: {
      do_lower_case: true,
      model_max_length: 512,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      mask_token: '[MASK]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
    },
  };
}
