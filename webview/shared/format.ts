// Text shown for tokens and numbers in every webview. Tokens are untrusted text that is often just
// whitespace, so whitespace is drawn with visible marks; the real text goes into titles.

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

/** A fraction as a whole percentage, for scale ends: 0%, 50%, 100%. */
export function formatPercent(p: number): string {
  return Number.isFinite(p) ? `${Math.round(p * 100)}%` : '—';
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

/**
 * A tooltip's lines (shared/tooltip.ts's TooltipLine) as one sentence, "label value" for a
 * pair: what a screen reader hears for a heatmap cell.
 */
export function tooltipText(lines: readonly (string | readonly [string, string])[]): string {
  return lines.map((l) => (typeof l === 'string' ? l : `${l[0]} ${l[1]}`)).join(', ');
}
