// A head ablation outside the attention panel: the hover's line about it, the levels and colours
// the explained text gets in the editor, and the panel's message that every head is on again.
import { describe, expect, it } from 'vitest';
import type { AblatedToken } from '../../src/host/decorations/ablationEffect';
import { changeLevels, SOURCE_LEVELS, sourceLevelColour } from '../../src/host/decorations/sourceColours';
import { ablationHoverLine } from '../../src/host/hover/hoverMarkdown';
import { parseFromAttentionPanel } from '../../src/shared/protocol';
import { rampColor, rgbCss } from '../../webview/shared/colorScale';

const token = (clean: number, ablated: number): AblatedToken => ({ start: 0, end: 3, clean, ablated, delta: Math.log2(ablated) - Math.log2(clean) });

describe('ablationHoverLine', () => {
  it('names the heads and the mode, and gives P before → after and the change in bits', () => {
    const line = ablationHoverLine(
      {
        heads: [
          { layer: 1, head: 0 },
          { layer: 2, head: 3 },
        ],
        mode: 'zero',
      },
      token(0.061, 0.023),
    );
    expect(line).toBe('With L1 H0, L2 H3 switched off (zero): P 6.10% → **2.30%** · Δ log₂ P **−1.41 bits**');
  });

  it('says mean ablation and a rise with a plus sign', () => {
    expect(ablationHoverLine({ heads: [{ layer: 0, head: 1 }], mode: 'mean' }, token(0.25, 0.5))).toBe(
      'With L0 H1 switched off (mean): P 25.0% → **50.0%** · Δ log₂ P **+1.00 bits**',
    );
  });

  it('counts the heads beyond the first six instead of listing them', () => {
    const heads = Array.from({ length: 9 }, (_, head) => ({ layer: 0, head }));
    const line = ablationHoverLine({ heads, mode: 'zero' }, token(0.5, 0.5));
    expect(line).toMatch(/^With L0 H0, L0 H1, L0 H2, L0 H3, L0 H4, L0 H5, 3 more switched off \(zero\): /);
    expect(line).toContain('Δ log₂ P **±0.00 bits**');
  });

  it('has no change to tell for the first token', () => {
    const line = ablationHoverLine({ heads: [{ layer: 0, head: 0 }], mode: 'zero' }, { start: 0, end: 1, clean: NaN, ablated: NaN, delta: NaN });
    expect(line).toContain('the first token');
    expect(line).not.toContain('Δ');
  });
});

describe('changeLevels', () => {
  it('puts drops below 0 and rises above it, on the token strip’s scale (at least ±1 bit)', () => {
    // Small changes: the scale is ±1 bit, so 1 bit is the top level and 0.5 bits half way.
    expect(changeLevels([1, -1, 0.5, -0.5, 0.01, NaN])).toEqual([
      SOURCE_LEVELS,
      -SOURCE_LEVELS,
      Math.ceil(SOURCE_LEVELS / 2),
      -Math.ceil(SOURCE_LEVELS / 2),
      0,
      0,
    ]);
  });

  it('clamps the few largest changes, so that one outlier does not wash out the rest', () => {
    const delta = [...Array.from({ length: 19 }, (_, i) => (i % 2 ? 2 : -2)), -40];
    const levels = changeLevels(delta);
    expect(levels.at(-1)).toBe(-SOURCE_LEVELS);
    expect(levels.slice(0, 4)).toEqual([-SOURCE_LEVELS, SOURCE_LEVELS, -SOURCE_LEVELS, SOURCE_LEVELS]);
  });

  it('colours a drop with the diverging ramp’s blue end and a rise with its warm end', () => {
    const [drop, rise] = changeLevels([-1, 1]).map(sourceLevelColour);
    const end = (t: number) =>
      rgbCss(rampColor(t, 'light', 'diverging'))
        .replace('rgb(', 'rgba(')
        .replace(')', ',');
    expect(drop.light.startsWith(end(0))).toBe(true);
    expect(rise.light.startsWith(end(1))).toBe(true);
  });
});

describe('resetAblation from the attention panel', () => {
  it('is parsed with its analysis id, and refused without one', () => {
    expect(parseFromAttentionPanel({ type: 'resetAblation', id: 3 })).toEqual({ type: 'resetAblation', id: 3 });
    expect(parseFromAttentionPanel({ type: 'resetAblation', id: 3, heads: [] })).toEqual({ type: 'resetAblation', id: 3 });
    for (const id of [undefined, -1, 1.5, '3']) expect(parseFromAttentionPanel({ type: 'resetAblation', id })).toBeUndefined();
  });
});
