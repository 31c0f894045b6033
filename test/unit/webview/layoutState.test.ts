import { describe, expect, it } from 'vitest';
import type { AttentionView } from '../../../src/shared/protocol';
import { cellAt, cellsOverlapping, ellipsize, fitCellSize, labelStride, windowAround } from '../../../webview/shared/layout';
import { changeScale, formatBits } from '../../../webview/attention/format';
import { DEFAULT_STATE, fitStateToView, isAblated, restoreState, toggleAblated } from '../../../webview/attention/state';
import { decodeDetail, floats, ViewData } from '../../../webview/attention/viewData';

describe('layout', () => {
  it('fits cells within bounds', () => {
    expect(fitCellSize(600, 12, 6, 28)).toBe(28);
    expect(fitCellSize(600, 128, 6, 28)).toBe(6);
    expect(fitCellSize(600, 40, 6, 28)).toBe(15);
  });

  it('thins labels that would overlap', () => {
    expect(labelStride(14, 12)).toBe(1);
    expect(labelStride(5, 12)).toBe(3);
  });

  it('ellipsises to a width', () => {
    const measure = (s: string) => s.length * 10;
    expect(ellipsize('short', 100, measure)).toBe('short');
    expect(ellipsize('a long token text', 60, measure)).toBe('a lon…');
    expect(ellipsize('abc', 5, measure)).toBe('…');
    expect(ellipsize('😀😀😀😀', 30, measure)).toBe('😀…'); // never splits a surrogate pair
  });

  it('windows around a centre within bounds', () => {
    expect(windowAround(50, 16, 0, 100)).toEqual([43, 59]);
    expect(windowAround(2, 16, 0, 100)).toEqual([0, 16]);
    expect(windowAround(99, 16, 0, 100)).toEqual([84, 100]);
    expect(windowAround(5, 16, 3, 10)).toEqual([3, 10]);
  });

  it('finds the cell under a point', () => {
    expect(cellAt(25, 15, 10, 5, 10, 10, 3, 3)).toEqual({ row: 1, col: 1 });
    expect(cellAt(5, 15, 10, 5, 10, 10, 3, 3)).toBeNull();
    expect(cellAt(45, 15, 10, 5, 10, 10, 3, 3)).toBeNull();
  });
});

function view(partial: Partial<AttentionView> = {}): AttentionView {
  const tokens = Array.from({ length: 4 }, (_, i) => ({ id: i, text: `t${i}`, start: i, end: i + 1, special: false, prob: null, rank: null }));
  const pattern = new Float32Array(2 * 2 * 4).fill(0.25);
  return {
    id: 3,
    model: { name: 'm', layers: 2, heads: 2, dHead: 4, bidirectional: false, predicts: 'next' },
    document: { uri: 'u', name: 'n' },
    tokens,
    queryStart: 2,
    queryCount: 2,
    ablatable: [true, true],
    notes: [],
    layers: [{ source: { kind: 'softmax' }, pattern: pattern.buffer }, { source: { kind: 'unavailable', reason: 'fused' } }],
    ...partial,
  };
}

describe('cells on screen', () => {
  it('finds the cells a span overlaps, partly shown ones included', () => {
    // 10 cells of 20 px from x = 50: the span 75..135 touches cells 1 (70..90) to 4 (130..150).
    expect(cellsOverlapping(75, 135, 50, 20, 10)).toEqual([1, 5]);
    expect(cellsOverlapping(-1000, 1000, 50, 20, 10)).toEqual([0, 10]);
    expect(cellsOverlapping(0, 50, 50, 20, 10)).toEqual([0, 0]);
    expect(cellsOverlapping(250, 400, 50, 20, 10)).toEqual([0, 0]);
    expect(cellsOverlapping(100, 100, 50, 20, 10)).toEqual([0, 0]);
    expect(cellsOverlapping(0, 100, 0, 0, 10)).toEqual([0, 0]);
  });
});

describe('state', () => {
  it('restores only valid fields', () => {
    expect(restoreState(undefined)).toEqual(DEFAULT_STATE);
    const s = restoreState({ tab: 'math', layer: 2, head: 'mean', scale: 'log', query: -1, ignoreFirst: 'yes', viewId: 5 });
    expect(s).toMatchObject({ tab: 'math', layer: 2, head: 'mean', scale: 'log', query: null, ignoreFirst: false, viewId: 5 });
    expect(restoreState({ tab: 'nope', head: 'max' })).toMatchObject({ tab: 'model', head: 0 });
    expect(restoreState({ pinned: true }).pinned).toBe(true);
    expect(restoreState({ pinned: 1 }).pinned).toBe(false);
  });

  it('applies focus and drops the selection for a new analysis', () => {
    const s = fitStateToView({ ...DEFAULT_STATE, viewId: 1, query: 3 }, view({ focus: { layer: 1, head: 1 } }));
    expect(s).toMatchObject({ viewId: 3, query: null, layer: 1, head: 1, tab: 'head' });
  });

  it('keeps the state for the same analysis, clamped', () => {
    const s = fitStateToView({ ...DEFAULT_STATE, viewId: 3, query: 3, layer: 9, head: 7, tab: 'math' }, view({ focus: { layer: 0, head: 0 } }));
    expect(s).toMatchObject({ query: 3, layer: 1, head: 1, tab: 'math' });
    expect(fitStateToView({ ...DEFAULT_STATE, viewId: 3, query: 1 }, view()).query).toBeNull(); // not an explained token
    expect(fitStateToView({ ...DEFAULT_STATE, viewId: 3, head: 'rollout' }, view()).head).toBe('mean'); // no rollout sent
  });
});

describe('view data', () => {
  it('decodes buffers and rejects wrong sizes', () => {
    expect(floats(new Float32Array([1, 2]).buffer)?.length).toBe(2);
    expect(floats(new Uint8Array(3).buffer)).toBeUndefined();
    expect(floats('x')).toBeUndefined();
    const d = new ViewData(view());
    expect(d.hasAttention(0)).toBe(true);
    expect(d.hasAttention(1)).toBe(false);
    expect(d.matrix(0, 1)?.length).toBe(8);
    expect(d.matrix(0, 'mean')?.[0]).toBeCloseTo(0.25);
    expect(d.matrix(0, 'rollout')).toBeUndefined();
    const bad = new ViewData(view({ layers: [{ source: { kind: 'softmax' }, pattern: new Float32Array(3).buffer }, { source: { kind: 'softmax' } }] }));
    expect(bad.layers[0].source.kind).toBe('unavailable');
    expect(bad.layers[1].source.kind).toBe('unavailable');
  });

  it('checks head detail sizes', () => {
    const buf = new Float32Array(4 * 4).buffer;
    const ok = decodeDetail({ id: 3, layer: 0, head: 0, dHead: 4, q: buf, k: buf, v: buf, z: buf, scale: 0.5 }, 4);
    expect(typeof ok).toBe('object');
    const bad = decodeDetail({ id: 3, layer: 0, head: 0, dHead: 4, q: buf, k: new Float32Array(3).buffer, v: buf, z: buf, scale: 0.5 }, 4);
    expect(bad).toMatch(/^K has 3 values/);
  });
});

describe('switched-off heads in the panel state', () => {
  it('toggles a head and keeps the list in layer, head order', () => {
    const on = toggleAblated(toggleAblated([], 1, 0), 0, 1);
    expect(on).toEqual([
      { layer: 0, head: 1 },
      { layer: 1, head: 0 },
    ]);
    expect(isAblated(on, 1, 0)).toBe(true);
    expect(toggleAblated(on, 1, 0)).toEqual([{ layer: 0, head: 1 }]);
  });

  it('restores only well-formed heads, and drops them for another analysis or a head the model cannot switch off', () => {
    expect(restoreState({ ablated: [{ layer: 0, head: 1 }, { layer: -1, head: 0 }, null, 'x'], ablationMode: 'mean' })).toMatchObject({
      ablated: [{ layer: 0, head: 1 }],
      ablationMode: 'mean',
    });
    expect(restoreState({ ablationMode: 'patch' }).ablationMode).toBe('zero');
    const kept = fitStateToView(
      {
        ...DEFAULT_STATE,
        viewId: 3,
        ablated: [
          { layer: 0, head: 1 },
          { layer: 1, head: 1 },
          { layer: 5, head: 0 },
        ],
      },
      view({ ablatable: [true, false] }),
    );
    expect(kept.ablated).toEqual([{ layer: 0, head: 1 }]);
    expect(fitStateToView({ ...DEFAULT_STATE, viewId: 2, ablated: [{ layer: 0, head: 1 }] }, view()).ablated).toEqual([]);
  });
});

describe('change in log-probability', () => {
  it('is written signed in bits, on a scale symmetric around 0 of at least one bit', () => {
    expect(formatBits(1.234)).toBe('+1.23 bits');
    expect(formatBits(-0.5)).toBe('−0.50 bits');
    expect(formatBits(0.001)).toBe('±0.00 bits');
    expect(formatBits(NaN)).toBe('–');
    expect(changeScale(Float32Array.from([NaN, 0.2, -0.1]))).toEqual({ kind: 'linear', range: { min: -1, max: 1 } });
    expect(changeScale(Float32Array.from([0.5, -3]))).toEqual({ kind: 'linear', range: { min: -1, max: 1 } });
    // One outlier among many changes does not set the range.
    const many = Float32Array.from({ length: 20 }, (_, i) => (i === 0 ? -14 : i % 2 ? 2 : -2));
    expect(changeScale(many)).toEqual({ kind: 'linear', range: { min: -2, max: 2 } });
  });
});
