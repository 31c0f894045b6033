// Text shown for tokens and numbers. Tokens are untrusted text that is often just whitespace, so
// whitespace is drawn with visible marks; the real text goes into titles.
import type { AttentionSource } from '../../src/engine/types';

const MARKS: Record<string, string> = {
  ' ': '·',
  '\n': '↵',
  '\r': '␍',
  '\t': '→',
  '\u00a0': '⍽',
  '\u200b': '⸱', // zero-width space
  '\u200c': '⸱',
  '\u200d': '⸱',
  '\ufeff': '⸱',
};

/** The text with whitespace and control characters replaced by visible marks. */
export function visibleText(text: string): string {
  let out = '';
  for (const ch of text) {
    const mark = MARKS[ch];
    if (mark) out += ch === '\r' && out.endsWith('↵') ? '' : mark;
    else {
      const code = ch.codePointAt(0) ?? 0;
      // C0 controls have visible "control pictures" at U+2400 + code; DEL at U+2421.
      if (code < 0x20) out += String.fromCodePoint(0x2400 + code);
      else if (code === 0x7f) out += '␡';
      else out += ch;
    }
  }
  return out;
}

/** A token as a label: visible whitespace, and a mark for the empty string (some special tokens). */
export function tokenLabel(text: string): string {
  return text.length === 0 ? '∅' : visibleText(text);
}

/** The real text, quoted so that leading/trailing spaces can be seen in a tooltip. */
export function quoted(text: string): string {
  return JSON.stringify(text);
}

/** A probability as a percentage with sensible precision: 42.1%, 0.53%, <0.01%. */
export function formatProb(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  const pct = p * 100;
  if (pct === 0) return '0%';
  if (pct < 0.01) return '<0.01%';
  if (pct < 1) return `${pct.toFixed(2)}%`;
  return `${pct.toFixed(1)}%`;
}

/** An attention weight: three decimals, or scientific notation when that would read 0.000. */
export function formatWeight(w: number): string {
  if (!Number.isFinite(w)) return Number.isNaN(w) ? '—' : w > 0 ? '∞' : '−∞';
  if (w === 0) return '0';
  if (Math.abs(w) < 0.001) return formatSci(w);
  return w.toFixed(3);
}

/** Short scientific notation: 3e-8, 2.4e-7, 1.0 → "1". Uses a real minus sign. */
export function formatSci(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? '—' : x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const [mant, exp] = x.toExponential(digits).split('e');
  const m = mant.replace(/\.?0+$/, '');
  const e = Number(exp);
  const s = e === 0 ? m : `${m}e${e}`;
  return s.replace(/-/g, '−');
}

/** A number in a table cell: fixed decimals, −∞ for a masked score, a real minus sign. */
export function formatCell(x: number, decimals = 2): string {
  if (x === -Infinity) return '−∞';
  if (x === Infinity) return '∞';
  if (Number.isNaN(x)) return '—';
  const s = x.toFixed(decimals);
  // "-0.00" says nothing a "0.00" does not.
  return (Number(s) === 0 ? s.replace('-', '') : s).replace('-', '−');
}

/** A head-type score (a mean attention weight), or "n/a" when it could not be measured. */
export function formatScore(s: number): string {
  return Number.isFinite(s) ? s.toFixed(2) : 'n/a';
}

/** "0–4", "3", "1, 3, 5–7": layer indices grouped into ranges. */
export function formatRanges(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

export type RankBucket = 'top1' | 'top10' | 'top100' | 'rest' | 'none';

/** GLTR's buckets: how surprising the token was to the model. */
export function rankBucket(rank: number | null | undefined): RankBucket {
  if (!rank || rank < 1) return 'none';
  if (rank === 1) return 'top1';
  if (rank <= 10) return 'top10';
  if (rank <= 100) return 'top100';
  return 'rest';
}

/** Layers grouped by identical source, e.g. "Layers 0–11: recomputed from the fused Attention operator". */
export function sourceLines(sources: readonly AttentionSource[]): { kind: AttentionSource['kind']; text: string }[] {
  const groups = new Map<string, { kind: AttentionSource['kind']; layers: number[]; text: string }>();
  sources.forEach((s, L) => {
    if (s.kind === 'softmax') return;
    const text = s.kind === 'recomputed' ? `attention recomputed from the input of the fused ${s.op} operator (${s.detail})` : `attention unavailable: ${s.reason}`;
    const key = `${s.kind}|${text}`;
    const g = groups.get(key) ?? { kind: s.kind, layers: [], text };
    g.layers.push(L);
    groups.set(key, g);
  });
  return [...groups.values()].map((g) => ({ kind: g.kind, text: `${g.layers.length === 1 ? 'Layer' : 'Layers'} ${formatRanges(g.layers)}: ${g.text}` }));
}
