// Character offsets recovered for tokens: for any text, the tokens tile it (no gaps, neighbours
// share at most the one character a byte-level token split), and each token's slice of the text
// is what the tokenizer says the token stands for.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { DEFAULT_MODEL, exists, TINY_GPT2 } from '../helpers/paths';
import { byteLevelTokenizer, sentencePieceTokenizer } from '../helpers/tokenizers';

function fromFolder(folder: string): TextTokenizer {
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(folder, f), 'utf8'));
  return new TextTokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
}

const tokenizers: [string, () => TextTokenizer][] = [
  [
    'byte-level BPE',
    () => {
      const t = byteLevelTokenizer();
      return new TextTokenizer(t.json as never, t.config);
    },
  ],
  [
    'SentencePiece BPE with byte fallback',
    () => {
      const t = sentencePieceTokenizer();
      return new TextTokenizer(t.json as never, t.config);
    },
  ],
];
if (exists(TINY_GPT2)) tokenizers.push(['GPT-2 (shared fixture)', () => fromFolder(TINY_GPT2)]);
if (exists(DEFAULT_MODEL)) tokenizers.push(['the default model', () => fromFolder(DEFAULT_MODEL)]);

/** Text made of the pieces that break offset code: CRLF, tabs, accents, CJK, emoji with joiners. */
const text = fc
  .array(fc.constantFrom('the', ' cat', 'ing', ' ', '  ', '\r\n', '\n', '\t', 'é', 'É', '中文', '😀', '👩‍💻', 'x', 'THE', '.', ',', '<|endoftext|>', '<s>'), {
    maxLength: 30,
  })
  .map((parts) => parts.join(''));

const encoder = new TextEncoder();

describe.each(tokenizers)('%s', (_, make) => {
  const tokenizer = make();

  it('tiles the text: no gaps, overlaps only where a token splits a character', () => {
    fc.assert(
      fc.property(text, (input) => {
        const { tokens, exactOffsets } = tokenizer.encode(input);
        expect(exactOffsets).toBe(true);
        const covering = tokens.filter((t) => t.end > t.start);
        if (input.length === 0) return;
        expect(covering[0].start).toBe(0);
        expect(covering[covering.length - 1].end).toBe(input.length);
        for (let i = 1; i < covering.length; i++) {
          const [a, b] = [covering[i - 1], covering[i]];
          expect(b.start).toBeGreaterThanOrEqual(a.start);
          expect(b.start).toBeLessThanOrEqual(a.end);
          // A shared character is one code point: 1 or 2 UTF-16 units.
          expect(a.end - b.start).toBeLessThanOrEqual(2);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives each token the slice of text it stands for', () => {
    fc.assert(
      fc.property(text, (input) => {
        for (const t of tokenizer.encode(input).tokens) {
          if (t.special && t.start === t.end) continue;
          const slice = input.slice(t.start, t.end);
          const piece = tokenizer.display(t.id);
          if (piece.startsWith('\\x')) {
            // Part of a character: the slice is that character, which holds the token's bytes.
            const bytes = piece
              .split('\\x')
              .slice(1)
              .map((h) => parseInt(h, 16));
            expect(Buffer.from(encoder.encode(slice)).includes(Buffer.from(bytes))).toBe(true);
          } else {
            // SentencePiece writes the space before a word into the word's token (▁the).
            expect([slice, ` ${slice}`]).toContain(piece);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
