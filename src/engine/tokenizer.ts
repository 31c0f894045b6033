// A Hugging Face tokenizer.json through tokenizers.js, plus what it lacks: character offsets
// for every token and a readable form of any vocabulary entry.
import { Tokenizer } from '@huggingface/tokenizers';
import { alignOffsets, pieceBytes, type TokenKind, type TokenPiece } from './offsets';

export interface Token {
  id: number;
  /** The text the token covers ([start, end) of the input); a special token's own content when it covers none. */
  text: string;
  start: number;
  end: number;
  special: boolean;
}

export interface Tokenized {
  tokens: Token[];
  /** False when the tokenizer changed the text so much that some offsets are approximate. */
  exactOffsets: boolean;
}

interface Normalizer {
  type?: string;
  lowercase?: boolean;
  normalizers?: Normalizer[];
}

interface TokenizerJson {
  normalizer?: Normalizer | null;
  decoder?: { type?: string; decoders?: { type?: string }[] } | null;
  pre_tokenizer?: { type?: string; pretokenizers?: { type?: string }[] } | null;
  added_tokens?: { id: number; content: string; special: boolean }[];
}

function usesByteLevel(json: TokenizerJson): boolean {
  const types = [
    json.decoder?.type,
    ...(json.decoder?.decoders ?? []).map((d) => d.type),
    json.pre_tokenizer?.type,
    ...(json.pre_tokenizer?.pretokenizers ?? []).map((p) => p.type),
  ];
  return types.includes('ByteLevel');
}

/** Whether the normalizer lower-cases the text (BERT uncased's BertNormalizer, a Lowercase step). */
function lowercases(normalizer: Normalizer | null | undefined): boolean {
  if (!normalizer) return false;
  if (normalizer.type === 'Lowercase' || (normalizer.type === 'BertNormalizer' && normalizer.lowercase !== false)) return true;
  return (normalizer.normalizers ?? []).some(lowercases);
}

/** A token named in tokenizer_config.json: a string, or an AddedToken object with its content. */
function configToken(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const content = (value as { content?: unknown } | null)?.content;
  return typeof content === 'string' ? content : undefined;
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly kind: TokenKind;
  private readonly added = new Map<number, { content: string; special: boolean }>();
  private readonly foldCase: boolean;
  readonly vocabSize: number;
  /** The token a masked language model is asked to fill in ([MASK], <mask>), where the tokenizer has one. */
  readonly maskId: number | undefined;

  constructor(json: TokenizerJson, config: object) {
    this.tokenizer = new Tokenizer(json, config);
    this.kind = usesByteLevel(json) ? 'byteLevel' : 'sentencePiece';
    for (const t of json.added_tokens ?? []) this.added.set(t.id, { content: t.content, special: t.special });
    this.foldCase = lowercases(json.normalizer);
    const mask = configToken((config as Record<string, unknown>).mask_token);
    const maskAdded = [...this.added].find(([, t]) => t.special && (t.content === mask || (!mask && /^(\[MASK\]|<mask>)$/.test(t.content))));
    this.maskId = maskAdded?.[0];
    // Counted from the token map: get_vocab walks every id below the largest, which a hostile
    // tokenizer.json can make 2^31 (minutes, and gigabytes).
    this.vocabSize = this.tokenizer.model?.tokens_to_ids.size ?? 0;
  }

  /** Ids the post-processor puts in front of every text (a BOS token), to keep when truncating. */
  prefixIds(): number[] {
    return this.tokenizer.encode('').ids;
  }

  encode(text: string): Tokenized {
    const { ids, tokens } = this.tokenizer.encode(text);
    const pieces: TokenPiece[] = ids.map((id, i) => {
      const added = this.added.get(id);
      if (added) return { bytes: new TextEncoder().encode(added.content), optional: added.special };
      return { bytes: pieceBytes(tokens[i], this.kind), optional: false };
    });
    const { starts, ends, exact } = alignOffsets(text, pieces, this.foldCase);
    return {
      tokens: ids.map((id, i) => {
        const special = this.added.get(id)?.special ?? false;
        const covered = text.slice(starts[i], ends[i]);
        return { id, text: covered || (special ? this.added.get(id)!.content : covered), start: starts[i], end: ends[i], special };
      }),
      exactOffsets: exact,
    };
  }

  /**
   * A vocabulary entry as text, for showing predictions. A byte-level token that is only part
   * of a UTF-8 character is shown as its bytes, e.g. "\xF0\x9F".
   */
  display(id: number): string {
    const added = this.added.get(id);
    if (added) return added.content;
    const piece = this.tokenizer.id_to_token(id);
    if (piece === undefined) return `<${id}>`;
    const bytes = pieceBytes(piece, this.kind);
    try {
      return strictDecoder.decode(bytes);
    } catch {
      return [...bytes].map((b) => `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    }
  }
}
