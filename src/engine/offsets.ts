// Character offsets for tokens. tokenizers.js returns ids and token strings but no offsets, so
// the engine recovers them: it turns each token back into the bytes it stands for and walks
// them along the UTF-8 bytes of the input. Byte offsets are exact; a token that ends in the
// middle of a character (byte-level BPE splitting an emoji) covers that whole character, so
// neighbours may share one character but never leave a gap.

/** GPT-2's printable stand-ins for the 256 bytes, as byte-level BPE vocabularies spell them. */
export function byteLevelAlphabet(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let extra = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCharCode(printable(b) ? b : 256 + extra++));
}

/** The table inverted: character → byte. */
function byteLevelDecoder(): Map<string, number> {
  return new Map(byteLevelAlphabet().map((c, b) => [c, b]));
}

const BYTE_LEVEL = byteLevelDecoder();
const encoder = new TextEncoder();

export type TokenKind = 'byteLevel' | 'sentencePiece';

/** What a token stands for in the text, as bytes; `optional` when it may be absent (BOS). */
export interface TokenPiece {
  bytes: Uint8Array;
  optional: boolean;
}

/** Bytes of a vocabulary token, under the tokenizer's encoding of bytes into token strings. */
export function pieceBytes(token: string, kind: TokenKind): Uint8Array {
  if (kind === 'byteLevel') {
    const chars = [...token];
    if (chars.every((c) => BYTE_LEVEL.has(c))) return Uint8Array.from(chars, (c) => BYTE_LEVEL.get(c)!);
    return encoder.encode(token);
  }
  const byteFallback = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
  if (byteFallback) return Uint8Array.of(parseInt(byteFallback[1], 16));
  return encoder.encode(token.replace(/▁/g, ' ').replace(/^##/, ''));
}

/** UTF-16 index of the character that contains each byte of the text's UTF-8 encoding. */
function charIndexOfBytes(text: string): { bytes: Uint8Array; charAt: Int32Array } {
  const bytes = encoder.encode(text);
  const charAt = new Int32Array(bytes.length + 1);
  let b = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const length = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 || (cp >= 0xd800 && cp <= 0xdfff) ? 3 : 4;
    for (let k = 0; k < length; k++) charAt[b++] = i;
    i += units;
  }
  charAt[bytes.length] = text.length;
  return { bytes, charAt };
}

/** How far to look ahead for a token whose bytes the normalizer changed or dropped. */
const RESYNC_WINDOW = 256;

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from: number, limit: number): number {
  outer: for (let i = from; i <= Math.min(haystack.length - needle.length, from + limit); i++) {
    for (let k = 0; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

export interface Offsets {
  /** [start, end) in UTF-16 code units of the text, per token. */
  starts: Int32Array;
  ends: Int32Array;
  /** False when some token could not be found in the text and offsets were interpolated. */
  exact: boolean;
}

/** ASCII letters in lower case; every other byte as it is (a UTF-8 sequence never holds ASCII bytes). */
function lowerAscii(bytes: Uint8Array): Uint8Array {
  return bytes.map((b) => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b));
}

/**
 * Aligns token pieces with the text. A piece whose bytes appear at the cursor consumes them;
 * spaces a normalizer inserted (▁ prefixes) are skipped; bytes the normalizer dropped are
 * attached to the token before them. `foldCase`: the tokenizer lower-cases the text first (BERT
 * uncased), so pieces are matched regardless of case.
 */
export function alignOffsets(text: string, pieces: TokenPiece[], foldCase = false): Offsets {
  const { bytes: textBytes, charAt } = charIndexOfBytes(text);
  const bytes = foldCase ? lowerAscii(textBytes) : textBytes;
  const byteStart = new Int32Array(pieces.length);
  const matched = new Uint8Array(pieces.length);
  let exact = true;
  let pos = 0;
  pieces.forEach((piece, i) => {
    const content = foldCase ? lowerAscii(piece.bytes) : piece.bytes;
    // Spaces a normalizer inserted (SentencePiece's ▁ before a word) may lead the piece.
    let leading = 0;
    while (leading < content.length && content[leading] === 0x20) leading++;
    let at = -1;
    let rest = content;
    for (let skip = 0; skip <= leading && at < 0; skip++) {
      rest = content.subarray(skip);
      if (indexOfBytes(bytes, rest, pos, 0) === pos) at = pos;
    }
    if (at < 0 && rest.length && !piece.optional) at = indexOfBytes(bytes, rest, pos, RESYNC_WINDOW);
    if (at < 0) {
      byteStart[i] = pos;
      if (!piece.optional && rest.length) exact = false;
      return;
    }
    byteStart[i] = at;
    pos = at + rest.length;
    matched[i] = rest.length > 0 ? 1 : 0;
  });
  // A token runs from its own start to the next matched token's start (the last to the end).
  const starts = new Int32Array(pieces.length);
  const ends = new Int32Array(pieces.length);
  let nextStart = bytes.length;
  const first = matched.indexOf(1);
  for (let i = pieces.length - 1; i >= 0; i--) {
    if (!matched[i]) {
      starts[i] = ends[i] = charAt[Math.min(byteStart[i], bytes.length)];
      continue;
    }
    const startByte = i === first ? 0 : byteStart[i];
    starts[i] = charAt[startByte];
    ends[i] = nextStart >= bytes.length ? text.length : charAt[nextStart] + (isCharStart(bytes, nextStart) ? 0 : charLength(text, charAt[nextStart]));
    nextStart = startByte;
  }
  return { starts, ends, exact };
}

function isCharStart(bytes: Uint8Array, b: number): boolean {
  return b >= bytes.length || (bytes[b] & 0xc0) !== 0x80;
}

function charLength(text: string, index: number): number {
  return text.codePointAt(index)! > 0xffff ? 2 : 1;
}
