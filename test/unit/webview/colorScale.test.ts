import { describe, expect, it } from 'vitest';
import {
  attentionScale,
  buildLut,
  LOG_DECADES,
  LUT_SIZE,
  luminance,
  lutColor,
  lutFor,
  lutIndex,
  minPositive,
  normalize,
  normalizer,
  rampColor,
  scaleTicks,
  textOn,
  valueRange,
  type ThemeKind,
} from '../../../webview/shared/colorScale';

const THEMES: ThemeKind[] = ['light', 'dark', 'high-contrast', 'high-contrast-light'];

describe('valueRange', () => {
  it('spans the finite values', () => {
    expect(valueRange([0.2, NaN, 0.5, -Infinity, 0.1])).toEqual({ min: 0.1, max: 0.5 });
  });

  it('leaves out one column of a row-major matrix', () => {
    // 2 × 3, column 0 is the sink.
    const m = [0.9, 0.05, 0.05, 0.8, 0.15, 0.05];
    expect(valueRange(m, { cols: 3, ignoreColumn: 0 })).toEqual({ min: 0.05, max: 0.15 });
    expect(valueRange(m, { cols: 3 })).toEqual({ min: 0.05, max: 0.9 });
  });

  it('can include zero and be symmetric', () => {
    expect(valueRange([0.2, 0.4], { includeZero: true })).toEqual({ min: 0, max: 0.4 });
    expect(valueRange([-0.5, 2], { symmetric: true })).toEqual({ min: -2, max: 2 });
  });

  it('is {0, 0} without finite values', () => {
    expect(valueRange([NaN, NaN])).toEqual({ min: 0, max: 0 });
    expect(valueRange([])).toEqual({ min: 0, max: 0 });
  });
});

describe('linear scale', () => {
  it('maps the range onto [0, 1] and clamps outside it', () => {
    const spec = { kind: 'linear' as const, range: { min: 0, max: 0.5 } };
    expect(normalize(0, spec)).toBe(0);
    expect(normalize(0.25, spec)).toBeCloseTo(0.5);
    expect(normalize(0.5, spec)).toBe(1);
    expect(normalize(0.9, spec)).toBe(1); // the ignored sink, drawn clamped
    expect(normalize(-1, spec)).toBe(0);
  });

  it('gives NaN for values that are not there', () => {
    const f = normalizer({ kind: 'linear', range: { min: 0, max: 1 } });
    expect(f(NaN)).toBeNaN();
    expect(f(Infinity)).toBeNaN();
  });

  it('shows equal positive values as full colour rather than dividing by zero', () => {
    const f = normalizer({ kind: 'linear', range: { min: 0.3, max: 0.3 } });
    expect(f(0.3)).toBe(1);
    expect(normalizer({ kind: 'linear', range: { min: 0, max: 0 } })(0)).toBe(0);
  });

  it('is monotonic', () => {
    const f = normalizer({ kind: 'linear', range: { min: -2, max: 3 } });
    let last = -1;
    for (let v = -3; v <= 4; v += 0.01) {
      const t = f(v);
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
    }
  });
});

describe('log scale', () => {
  it('spans four decades below the max when values reach 0', () => {
    const values = [0, 0.001, 0.01, 0.5, 1];
    const spec = attentionScale(values, 'log', 0);
    expect(spec.range.max).toBe(1);
    // The smallest positive value (0.001) is above max·10^-4, so the scale starts there.
    expect(spec.floor).toBeCloseTo(0.001);
    const f = normalizer(spec);
    expect(f(0)).toBe(0);
    expect(f(0.001)).toBe(0);
    expect(f(1)).toBe(1);
    expect(f(Math.sqrt(0.001))).toBeCloseTo(0.5); // halfway in log space
  });

  it('never goes below max·10^-decades', () => {
    const spec = attentionScale([1e-9, 1], 'log', 0);
    expect(spec.floor).toBeCloseTo(10 ** -LOG_DECADES);
    expect(normalizer(spec)(1e-6)).toBe(0);
  });

  it('is monotonic and clamps', () => {
    const f = normalizer({ kind: 'log', range: { min: 1e-3, max: 0.5 }, floor: 1e-3 });
    let last = -1;
    for (let e = -6; e <= 0.5; e += 0.01) {
      const t = f(10 ** e);
      expect(t).toBeGreaterThanOrEqual(last);
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThanOrEqual(1);
      last = t;
    }
  });

  it('copes with all-zero data', () => {
    const f = normalizer(attentionScale([0, 0, 0], 'log', 0));
    expect(f(0)).toBe(0);
  });
});

describe('attentionScale with ignore-first', () => {
  // Two queries × three keys; key 0 is a sink holding most of the weight.
  const pattern = new Float32Array([1, 0, 0, 0.9, 0.08, 0.02]);

  it('excludes column 0 from the range, so the rest gets the colours', () => {
    const withSink = attentionScale(pattern, 'linear', 3);
    const without = attentionScale(pattern, 'linear', 3, 0);
    expect(withSink.range.max).toBe(1);
    expect(without.range.max).toBeCloseTo(0.08);
    expect(normalizer(without)(0.08)).toBeCloseTo(1);
    expect(normalizer(without)(0.9)).toBe(1); // clamped
    expect(normalizer(withSink)(0.08)).toBeCloseTo(0.08);
  });

  it('excludes it from a log scale too', () => {
    const spec = attentionScale(pattern, 'log', 3, 0);
    expect(spec.range.max).toBeCloseTo(0.08);
    expect(spec.floor).toBeCloseTo(0.02);
  });

  it('minPositive skips the ignored column', () => {
    expect(minPositive([0.001, 0.5, 0.002, 0.3], { cols: 2, ignoreColumn: 0 })).toBe(0.3);
    expect(minPositive([0, 0])).toBeNaN();
  });
});

describe('ramps', () => {
  it.each(THEMES)('%s: sequential luminance changes monotonically', (theme) => {
    const lums = Array.from({ length: 51 }, (_, i) => luminance(rampColor(i / 50, theme)));
    const rising = lums[50] > lums[0];
    for (let i = 1; i < lums.length; i++) {
      if (rising) expect(lums[i]).toBeGreaterThanOrEqual(lums[i - 1] - 1e-9);
      else expect(lums[i]).toBeLessThanOrEqual(lums[i - 1] + 1e-9);
    }
    // Both ends far apart: the scale must read without hue.
    expect(Math.abs(lums[50] - lums[0])).toBeGreaterThan(0.6);
  });

  it('starts light in light themes and dark in dark ones (low weights recede into the background)', () => {
    expect(luminance(rampColor(0, 'light'))).toBeGreaterThan(0.9);
    expect(luminance(rampColor(0, 'dark'))).toBeLessThan(0.05);
    expect(luminance(rampColor(0, 'high-contrast'))).toBe(0);
    expect(luminance(rampColor(0, 'high-contrast-light'))).toBe(1);
  });

  it('clamps t and treats NaN as 0', () => {
    expect(rampColor(-1, 'dark')).toEqual(rampColor(0, 'dark'));
    expect(rampColor(2, 'dark')).toEqual(rampColor(1, 'dark'));
    expect(rampColor(NaN, 'dark')).toEqual(rampColor(0, 'dark'));
  });

  it('diverging ramps are centred on a neutral colour', () => {
    const [r, g, b] = rampColor(0.5, 'light', 'diverging');
    expect(Math.max(r, g, b) - Math.min(r, g, b)).toBeLessThan(10);
  });

  it('LUT holds the ramp as opaque RGBA', () => {
    const lut = buildLut('dark');
    expect(lut.length).toBe(LUT_SIZE * 4);
    expect(Array.from(lut.subarray(0, 3))).toEqual([...rampColor(0, 'dark')]);
    expect(Array.from(lut.subarray((LUT_SIZE - 1) * 4, LUT_SIZE * 4))).toEqual([...rampColor(1, 'dark'), 255]);
    expect(lutIndex(NaN)).toBe(-1);
    expect(lutIndex(0)).toBe(0);
    expect(lutIndex(1)).toBe(LUT_SIZE - 1);
    expect(lutIndex(7)).toBe(LUT_SIZE - 1);
  });

  it('picks readable text on a cell', () => {
    expect(textOn([255, 255, 255])).toBe('#000000');
    expect(textOn([0, 0, 0])).toBe('#ffffff');
    expect(textOn(rampColor(1, 'light'))).toBe('#ffffff');
    expect(textOn(rampColor(1, 'dark'))).toBe('#000000');
  });
});

describe('scaleTicks', () => {
  it('spaces linear ticks evenly and log ticks geometrically', () => {
    expect(scaleTicks({ kind: 'linear', range: { min: 0, max: 1 } }, 3)).toEqual([0, 0.5, 1]);
    const log = scaleTicks({ kind: 'log', range: { min: 0.001, max: 0.1 } }, 3);
    expect(log[1]).toBeCloseTo(0.01);
  });
});

describe('lutFor', () => {
  it("builds a theme's LUT once and reads colours from it", () => {
    const lut = lutFor('dark');
    expect(lutFor('dark')).toBe(lut);
    expect(Array.from(lut)).toEqual(Array.from(buildLut('dark')));
    expect(lutFor('dark', 'diverging')).not.toBe(lut);
    expect(lutColor(lut, 0)).toEqual(rampColor(0, 'dark'));
    expect(lutColor(lut, 1)).toEqual(rampColor(1, 'dark'));
    expect(lutColor(lut, NaN)).toBeNull();
  });
});
