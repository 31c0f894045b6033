// Deterministic text for the benchmark: code-like ASCII lines (what the extension mostly sees),
// and texts cut to tokenize to an exact number of tokens under any tokenizer.
import { random } from '../../test/helpers/decoderBuilder';
import type { TextTokenizer } from '../../src/engine/tokenizer';

const WORDS = ['value', 'count', 'index', 'result', 'items', 'name', 'total', 'model', 'token', 'window', 'offset', 'layer', 'head', 'score', 'text', 'line'];
const CALLS = ['compute', 'update', 'render', 'parse', 'format', 'resolve', 'collect', 'measure'];

/** `lines` lines of TypeScript-looking code, the same for the same seed. */
export function codeText(lines: number, seed = 1): string {
  const rand = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const out: string[] = [];
  let depth = 0;
  for (let i = 0; i < lines; i++) {
    const indent = '  '.repeat(depth);
    const r = rand();
    if (depth < 3 && r < 0.12) {
      out.push(`${indent}function ${pick(CALLS)}${pick(WORDS)}${i}(${pick(WORDS)}: number, ${pick(WORDS)}: string) {`);
      depth++;
    } else if (depth > 0 && r < 0.24) {
      depth--;
      out.push(`${'  '.repeat(depth)}}`);
    } else if (r < 0.32) {
      out.push(`${indent}// ${pick(CALLS)} the ${pick(WORDS)} before the ${pick(WORDS)} changes`);
    } else {
      out.push(`${indent}const ${pick(WORDS)}${i % 97} = ${pick(CALLS)}(${pick(WORDS)}, ${Math.floor(rand() * 1000)}) + ${pick(WORDS)}.${pick(WORDS)};`);
    }
  }
  return `${out.join('\n')}\n`;
}

/**
 * The shortest prefix of `source` that the tokenizer turns into exactly `n` tokens (special
 * tokens it adds included), found by bisection on the length: token counts grow with the prefix.
 */
export function textWithTokens(tokenizer: TextTokenizer, n: number, source: string): string {
  const count = (chars: number) => tokenizer.encode(source.slice(0, chars)).tokens.length;
  if (count(source.length) < n) throw new Error(`the source text has fewer than ${n} tokens`);
  let lo = 0;
  let hi = source.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (count(mid) < n) lo = mid + 1;
    else hi = mid;
  }
  if (count(lo) !== n) throw new Error(`no prefix of the source text is exactly ${n} tokens`);
  return source.slice(0, lo);
}
