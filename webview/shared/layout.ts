// Pure layout arithmetic for heatmaps and token labels, kept out of the canvas code so it can be
// unit-tested without a DOM.

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : Math.min(x, hi);
}

/** CSS pixels per cell so that `count` cells fill `available` pixels, within [min, max]. */
export function fitCellSize(available: number, count: number, min: number, max: number): number {
  if (count <= 0) return max;
  return clamp(Math.floor(available / count), min, max);
}

/** Draw every n-th label so labels of height `labelPx` do not overlap on cells of `cellPx`. */
export function labelStride(cellPx: number, labelPx: number): number {
  return cellPx >= labelPx ? 1 : Math.ceil(labelPx / Math.max(cellPx, 1e-6));
}

/**
 * The longest prefix of `text` that, followed by "…", fits `maxWidth` per `measure`; the text
 * itself when it fits. Binary search: measure is the expensive part (canvas measureText).
 */
export function ellipsize(text: string, maxWidth: number, measure: (s: string) => number): string {
  if (measure(text) <= maxWidth) return text;
  const chars = Array.from(text); // code points, so a surrogate pair is never cut in half
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (measure(`${chars.slice(0, mid).join('')}…`) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? '…' : `${chars.slice(0, lo).join('')}…`;
}

/**
 * A window of `size` consecutive indices in [start, end) that contains `center` and is as
 * centred on it as the bounds allow. Returns [from, to).
 */
export function windowAround(center: number, size: number, start: number, end: number): [number, number] {
  const total = end - start;
  if (total <= size) return [start, end];
  const c = clamp(center, start, end - 1);
  let from = c - Math.floor((size - 1) / 2);
  from = clamp(from, start, end - size);
  return [from, from + size];
}

/** Cell (row, col) under the point (x, y) of a grid starting at (x0, y0); null outside. */
export function cellAt(
  x: number,
  y: number,
  x0: number,
  y0: number,
  cellW: number,
  cellH: number,
  rows: number,
  cols: number,
): { row: number; col: number } | null {
  const col = Math.floor((x - x0) / cellW);
  const row = Math.floor((y - y0) / cellH);
  if (row < 0 || col < 0 || row >= rows || col >= cols || !Number.isFinite(row) || !Number.isFinite(col)) return null;
  return { row, col };
}

/**
 * The cells [first, end) of a run of `count` cells of `size` pixels starting at `origin` that
 * overlap the span [from, to) (all on one axis, in the same pixels): what a window shows.
 */
export function cellsOverlapping(from: number, to: number, origin: number, size: number, count: number): [number, number] {
  if (!(size > 0) || !(to > from)) return [0, 0];
  const first = clamp(Math.floor((from - origin) / size), 0, count);
  const end = clamp(Math.ceil((to - origin) / size), 0, count);
  return first < end ? [first, end] : [0, 0];
}
