// The side panel's arithmetic, apart from the DOM so that it is unit-tested in Node: tensors
// decoded with their shapes checked, the head table's order, lens cells, neuron bars, and the
// numbers people read (sizes, counts, norms).
import type { Prediction as Predicting } from '../../src/shared/modelInfo';
import type { ModelView, SideAnalysisView } from '../../src/shared/protocol';
import { formatRanges } from '../shared/format';

/** A decoded lens: ids and probs are [row, token, k]. */
export interface LensData {
  rows: number;
  k: number;
  tokens: number;
  ids: Int32Array;
  probs: Float32Array;
  pieces: Record<number, string>;
}

export interface Prediction {
  id: number;
  text: string;
  prob: number;
}

export type HeadRow = SideAnalysisView['heads'][number];
export type HeadSortKey = keyof HeadRow;
export type SortDir = 'asc' | 'desc';
export const HEAD_SORT_KEYS: readonly HeadSortKey[] = ['layer', 'head', 'previousToken', 'firstToken', 'induction', 'self'];

const isCount = (x: unknown): x is number => Number.isInteger(x) && (x as number) > 0;

/** A typed view of `buffer` holding exactly `count` elements, or why it is not one. */
function typed<T extends Float32Array | Int32Array>(make: (b: ArrayBuffer) => T, buffer: unknown, count: number, what: string, shape: string): T | string {
  if (!(buffer instanceof ArrayBuffer)) return `${what} did not arrive as binary data.`;
  if (buffer.byteLength !== count * 4) return `${what} holds ${Math.floor(buffer.byteLength / 4)} values where ${shape} = ${count} were expected.`;
  return make(buffer);
}

/** ‖residual stream‖ as Float32 [layer + 1, token]; undefined when the model exposes none, a message when it is malformed. */
export function decodeResidNorm(view: SideAnalysisView): Float32Array | string | undefined {
  if (view.residNorm === undefined) return undefined;
  const rows = view.layers + 1;
  const cols = view.tokens.length;
  return typed((b) => new Float32Array(b), view.residNorm, rows * cols, 'The residual norms', `${rows} rows × ${cols} tokens`);
}

export function decodeLens(view: SideAnalysisView): LensData | string | undefined {
  const lens = view.lens;
  if (!lens) return undefined;
  if (!isCount(lens.rows) || !isCount(lens.k)) return `The logit lens has an impossible shape (${lens.rows} rows, top ${lens.k}).`;
  const tokens = view.tokens.length;
  const count = lens.rows * tokens * lens.k;
  const shape = `${lens.rows} rows × ${tokens} tokens × top ${lens.k}`;
  const ids = typed((b) => new Int32Array(b), lens.ids, count, 'The logit lens ids', shape);
  if (typeof ids === 'string') return ids;
  const probs = typed((b) => new Float32Array(b), lens.probs, count, 'The logit lens probabilities', shape);
  if (typeof probs === 'string') return probs;
  return { rows: lens.rows, k: lens.k, tokens, ids, probs, pieces: lens.pieces ?? {} };
}

/** The lens's best `limit` predictions at a cell (made at `token`, for the token after it). */
export function lensPredictions(lens: LensData, row: number, token: number, limit = 5): Prediction[] {
  const base = (row * lens.tokens + token) * lens.k;
  const out: Prediction[] = [];
  for (let j = 0; j < Math.min(limit, lens.k); j++) {
    const id = lens.ids[base + j];
    out.push({ id, text: lens.pieces[id] ?? '', prob: lens.probs[base + j] });
  }
  return out;
}

/** Probability of each cell's top prediction for the first `cols` tokens: Float32 [row, cols], the lens grid's colours. */
export function lensTopProbs(lens: LensData, cols = lens.tokens): Float32Array {
  const out = new Float32Array(lens.rows * cols);
  for (let r = 0; r < lens.rows; r++) for (let t = 0; t < cols; t++) out[r * cols + t] = lens.probs[(r * lens.tokens + t) * lens.k];
  return out;
}

/** Chromium leaves a canvas blank when a side exceeds this many device pixels. */
const CANVAS_SIDE = 32767;
/** Device pixels we let one grid canvas have: a 64 MB bitmap. */
const CANVAS_AREA = 16_000_000;

/**
 * How many columns of cells `cell` CSS pixels square (or `width` × `height`) a grid of `rows`
 * rows can have in one canvas at a pixel ratio, with room for labels: within Chromium's side
 * limit and our memory budget.
 */
export function maxColumns(cell: number | { width: number; height: number }, rows: number, pixelRatio: number, labelsPx = 200): number {
  const dpr = Math.max(1, pixelRatio);
  const width = (typeof cell === 'number' ? cell : cell.width) * dpr;
  const height = (typeof cell === 'number' ? cell : cell.height) * dpr;
  const bySide = (CANVAS_SIDE - labelsPx * dpr) / width;
  const byArea = CANVAS_AREA / (width * height * Math.max(1, rows));
  return Math.max(1, Math.floor(Math.min(bySide, byArea)));
}

/** The first `keep` columns of a row-major [rows, cols] matrix. */
export function firstColumns(values: Float32Array, rows: number, cols: number, keep: number): Float32Array {
  if (keep >= cols) return values;
  const out = new Float32Array(rows * keep);
  for (let r = 0; r < rows; r++) out.set(values.subarray(r * cols, r * cols + keep), r * keep);
  return out;
}

/**
 * Whether each cell's top prediction is the token that really comes next in the text (for a
 * masked model, the token itself): Uint8 [row, token], 0 for the last token of a decoder (its
 * next token is not in the selection).
 */
export function lensHits(lens: LensData, tokens: readonly { id: number }[], predicts: Predicting = 'next'): Uint8Array {
  // A decoder's lens at token t predicts token t + 1; a masked model's, token t itself.
  const ahead = predicts === 'masked' ? 0 : 1;
  const out = new Uint8Array(lens.rows * lens.tokens);
  for (let r = 0; r < lens.rows; r++) {
    for (let t = 0; t + ahead < lens.tokens && t + ahead < tokens.length; t++) {
      out[r * lens.tokens + t] = lens.ids[(r * lens.tokens + t) * lens.k] === tokens[t + ahead].id ? 1 : 0;
    }
  }
  return out;
}

/**
 * Row labels of a [layer + 1]-row grid: the embedding, then the stream after each block. In
 * the lens the last row goes through the model's own final norm and unembedding: its output.
 */
export function layerRowLabels(rows: number, lastIsOutput: boolean): string[] {
  return Array.from({ length: rows }, (_, r) => (r === 0 ? 'embed' : lastIsOutput && r === rows - 1 ? 'output' : `after L${r - 1}`));
}

/**
 * The top of a colour scale for residual norms. The stream at the first position of a text is
 * often tens of times larger than anywhere else and would leave every other cell the bottom
 * colour, so the scale stops at a high quantile and the few cells above it are drawn clamped.
 */
export const NORM_QUANTILE = 0.98;

/** The q-quantile of the finite values (interpolated between neighbours); NaN when there is none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Array.from(values)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const x = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const i = Math.floor(x);
  return i + 1 < sorted.length ? sorted[i] + (sorted[i + 1] - sorted[i]) * (x - i) : sorted[i];
}

/** Each row divided by its own NORM_QUANTILE, so that a row's pattern shows whatever its scale. */
export function rowNormalized(values: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = Array.prototype.slice.call(values, r * cols, (r + 1) * cols) as number[];
    const top = quantile(row.map(Math.abs), NORM_QUANTILE);
    for (let c = 0; c < cols; c++) out[r * cols + c] = top > 0 ? row[c] / top : row[c];
  }
  return out;
}

/**
 * The heads sorted by one column. NaN (a score that could not be measured) goes last in either
 * direction; ties keep layer, then head order, so the table never shuffles between sorts.
 */
export function sortHeads(heads: readonly HeadRow[], key: HeadSortKey, dir: SortDir): HeadRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...heads].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    const xn = Number.isNaN(x);
    const yn = Number.isNaN(y);
    if (xn !== yn) return xn ? 1 : -1;
    if (!xn && x !== y) return (x - y) * sign;
    return a.layer - b.layer || a.head - b.head;
  });
}

/** The direction a column starts in when first clicked: scores from the highest, positions from the first. */
export function initialDir(key: HeadSortKey): SortDir {
  return key === 'layer' || key === 'head' ? 'asc' : 'desc';
}

export interface NeuronBar {
  index: number;
  value: number;
  /** |value| / the largest |value| in the list, 0..1. */
  fraction: number;
}

export function neuronBars(neurons: readonly { index: number; value: number }[]): NeuronBar[] {
  const max = neurons.reduce((m, n) => (Number.isFinite(n.value) ? Math.max(m, Math.abs(n.value)) : m), 0);
  return neurons.map(({ index, value }) => ({ index, value, fraction: max > 0 && Number.isFinite(value) ? Math.abs(value) / max : 0 }));
}

/** Layers whose attention was obtained the same way, grouped: "Layers 0–11", softmax, "…". */
export function groupAttention(attention: ModelView['attention']): { kind: ModelView['attention'][number]['kind']; layers: string; text: string }[] {
  const groups = new Map<string, { kind: ModelView['attention'][number]['kind']; text: string; layers: number[] }>();
  attention.forEach((a, L) => {
    const key = `${a.kind}\u0000${a.text}`;
    const g = groups.get(key) ?? { kind: a.kind, text: a.text, layers: [] };
    g.layers.push(L);
    groups.set(key, g);
  });
  return [...groups.values()].map((g) => ({ kind: g.kind, text: g.text, layers: `${g.layers.length === 1 ? 'Layer' : 'Layers'} ${formatRanges(g.layers)}` }));
}

const NBSP = '\u00a0';

/** Two or three significant digits: 5.3, 42, 124 (the precision a size is read with). */
function short(x: number): string {
  return x < 10 ? x.toFixed(1).replace(/\.0$/, '') : Math.round(x).toString();
}

/** A count as people say it: 950, 112 k, 5.3 M, 1.5 B. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1000) return String(Math.round(n));
  for (const [unit, size] of [
    ['k', 1e3],
    ['M', 1e6],
    ['B', 1e9],
  ] as const) {
    // 999 950 would round to "1000 k": let it be "1 M".
    if (n / size < 999.5 || unit === 'B') return `${short(n / size)}${NBSP}${unit}`;
  }
  return String(n);
}

/** Bytes in binary units: 512 B, 449 KB, 5.3 MB, 1.2 GB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${Math.round(n)}${NBSP}B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let x = n / 1024;
  let u = 0;
  while (x >= 999.5 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return `${short(x)}${NBSP}${units[u]}`;
}

/** A residual norm: about four significant digits, a real minus sign. */
export function formatNorm(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  const s = a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : a >= 10 ? v.toFixed(2) : v.toFixed(3);
  return s.replace('-', '−');
}

/** A recent model's short name: its folder, or for an .onnx file the folder that names the model. */
export function recentLabel(path: string): string {
  const parts = path.split(/[\\/]+/).filter(Boolean);
  const last = parts.at(-1) ?? path;
  if (!/\.onnx$/i.test(last)) return last;
  // Exporters nest the file in folders like onnx/ that say nothing about the model.
  const named = parts
    .slice(0, -1)
    .reverse()
    .find((p) => !/^(onnx|models?|fp16|fp32|int8|q4)$/i.test(p));
  return named ? `${named}/${last}` : last;
}
