// Pure reshaping of attention tensors for display: one head or the mean of a layer's heads,
// the key columns on screen, future (masked) keys as NaN where the model's attention is causal,
// the strongest keys of a row. Patterns are Float32 [head, query, key] with queries = the
// explained tokens and keys = every analysed token, as in src/shared/protocol.ts. A bidirectional
// model (an encoder: AttentionView.model.bidirectional) gives weight to later keys too, so
// nothing of its matrix is masked.

/** Columns [from, to) of a [rows, cols] matrix. */
export function cropColumns(matrix: ArrayLike<number>, rows: number, cols: number, from: number, to: number): Float32Array {
  const width = Math.max(0, to - from);
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) out[r * width + c] = matrix[r * cols + from + c];
  }
  return out;
}

/**
 * A copy with NaN where the key comes after the query (the causal mask hides it from the model,
 * so it is "no value", not "zero attention"). Row r is token `firstQuery + r`, column c is
 * token `firstKey + c`.
 */
export function maskFuture(matrix: ArrayLike<number>, rows: number, cols: number, firstQuery: number, firstKey: number): Float32Array {
  const out = Float32Array.from(matrix as ArrayLike<number>);
  for (let r = 0; r < rows; r++) {
    const q = firstQuery + r;
    for (let c = Math.max(0, q - firstKey + 1); c < cols; c++) out[r * cols + c] = NaN;
  }
  return out;
}

/** Which keys are on screen: the explained tokens only, or every analysed token. */
export interface KeyWindow {
  /** First key on screen, as an index into tokens. */
  from: number;
  /** One past the last key on screen. */
  to: number;
}

/**
 * Keys shown for queries tokens[queryStart .. queryStart + queryCount): with causal attention,
 * keys after the last query are always masked, so they are never shown; a bidirectional model
 * attends to them, so every key up to the last analysed token is shown.
 */
export function keyWindow(queryStart: number, queryCount: number, totalKeys: number, includeContext: boolean, bidirectional: boolean): KeyWindow {
  const to = bidirectional ? totalKeys : Math.min(totalKeys, queryStart + queryCount);
  return { from: includeContext ? 0 : Math.min(queryStart, to), to };
}

export interface ShownMatrix {
  rows: number;
  cols: number;
  /** [query, shown key]; NaN for masked cells (keys after the query, in a causal model only). */
  values: Float32Array;
  keys: KeyWindow;
  /** Column of token 0 if it is on screen (for "ignore the first token"), else -1. */
  firstTokenColumn: number;
}

/**
 * The part of a [query, key] matrix a heatmap shows: keys after the query masked (NaN) when the
 * attention is causal, every weight kept when it is bidirectional.
 */
export function shownMatrix(
  full: ArrayLike<number>,
  queryStart: number,
  queryCount: number,
  totalKeys: number,
  includeContext: boolean,
  bidirectional: boolean,
): ShownMatrix {
  const keys = keyWindow(queryStart, queryCount, totalKeys, includeContext, bidirectional);
  const cols = keys.to - keys.from;
  const cropped = cropColumns(full, queryCount, totalKeys, keys.from, keys.to);
  return {
    rows: queryCount,
    cols,
    values: bidirectional ? cropped : maskFuture(cropped, queryCount, cols, queryStart, keys.from),
    keys,
    firstTokenColumn: keys.from === 0 && cols > 0 ? 0 : -1,
  };
}

export interface Ranked {
  index: number;
  value: number;
}

/** The k largest finite values of a row, largest first (ties: lower index first). */
export function topK(row: ArrayLike<number>, k: number): Ranked[] {
  const out: Ranked[] = [];
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    if (!Number.isFinite(value)) continue;
    if (out.length === k && value <= out[out.length - 1].value) continue;
    let j = out.length;
    while (j > 0 && out[j - 1].value < value) j--;
    out.splice(j, 0, { index: i, value });
    if (out.length > k) out.pop();
  }
  return out;
}
