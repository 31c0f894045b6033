// Pure colour-scale maths shared by every heatmap: a value range that can leave out one column
// (attention sinks put most of every row's weight on key 0 and would wash out everything else),
// value → [0, 1] on a linear or log scale, and [0, 1] → RGB on a ramp chosen for the theme.
// No DOM here, so the unit tests run it in Node.

export type ScaleKind = 'linear' | 'log';
export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
/** Sequential for magnitudes (attention weights); diverging for signed values around 0. */
export type RampName = 'sequential' | 'diverging';
export type Rgb = readonly [number, number, number];

export interface ValueRange {
  min: number;
  max: number;
}

export interface RangeOptions {
  /** Columns of the row-major matrix `values` is; needed only with ignoreColumn. */
  cols?: number;
  /** A column left out of the range (its values are drawn clamped), e.g. key 0 = BOS. */
  ignoreColumn?: number;
  /** Stretch the range to contain 0 (attention weights: 0 means "no attention", not "least"). */
  includeZero?: boolean;
  /** Make the range symmetric around 0, for a diverging ramp. */
  symmetric?: boolean;
}

/** Range of the finite values, optionally without one column. {0, 0} when there is none. */
export function valueRange(values: ArrayLike<number>, options: RangeOptions = {}): ValueRange {
  const { cols = 0, ignoreColumn = -1, includeZero = false, symmetric = false } = options;
  const skip = cols > 0 && ignoreColumn >= 0 && ignoreColumn < cols;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (skip && i % cols === ignoreColumn) continue;
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return { min: 0, max: 0 };
  if (includeZero) {
    min = Math.min(min, 0);
    max = Math.max(max, 0);
  }
  if (symmetric) {
    const m = Math.max(Math.abs(min), Math.abs(max));
    return { min: -m, max: m };
  }
  return { min, max };
}

/**
 * A linear scale for signed values around 0, for a diverging ramp: symmetric, and at least
 * ±minHalfWidth so that small values stay pale instead of filling the ramp.
 */
export function divergingScale(values: ArrayLike<number>, minHalfWidth: number): ScaleSpec {
  const m = Math.max(minHalfWidth, valueRange(values, { symmetric: true }).max);
  return { kind: 'linear', range: { min: -m, max: m } };
}

/** Smallest positive finite value (NaN if none): a log scale cannot start at 0. */
export function minPositive(values: ArrayLike<number>, options: Pick<RangeOptions, 'cols' | 'ignoreColumn'> = {}): number {
  const { cols = 0, ignoreColumn = -1 } = options;
  const skip = cols > 0 && ignoreColumn >= 0 && ignoreColumn < cols;
  let m = Infinity;
  for (let i = 0; i < values.length; i++) {
    if (skip && i % cols === ignoreColumn) continue;
    const v = values[i];
    if (v > 0 && v < m && Number.isFinite(v)) m = v;
  }
  return m === Infinity ? NaN : m;
}

export interface ScaleSpec {
  kind: ScaleKind;
  range: ValueRange;
  /**
   * Log scale only: the lowest value with its own colour. Everything at or below it gets the
   * bottom colour. Defaults to range.max × 10^-decades.
   */
  floor?: number;
}

/** Orders of magnitude a log scale spans by default: below 1e-4 of the top, attention is noise. */
export const LOG_DECADES = 4;

/**
 * The scale for attention-like data (non-negative, 0 = nothing): linear from 0 to the max, or
 * log from max(smallest positive, max·10^-decades) to the max. `ignoreColumn` leaves a column
 * (the sink) out of both ends.
 */
export function attentionScale(values: ArrayLike<number>, kind: ScaleKind, cols: number, ignoreColumn = -1): ScaleSpec {
  const range = valueRange(values, { cols, ignoreColumn, includeZero: true });
  if (kind === 'linear') return { kind, range };
  const low = minPositive(values, { cols, ignoreColumn });
  const floor = Math.max(Number.isFinite(low) ? low : 0, range.max * 10 ** -LOG_DECADES);
  return { kind, range: { min: floor, max: range.max }, floor };
}

/**
 * A function value → [0, 1] (clamped; NaN for non-finite values, which heatmaps draw as "no
 * value"). A degenerate range maps everything positive to 1 and the rest to 0, so a row of
 * equal weights still shows up.
 */
export function normalizer(spec: ScaleSpec): (value: number) => number {
  const { min, max } = spec.range;
  if (spec.kind === 'log') {
    const floor = spec.floor ?? (max > 0 ? max * 10 ** -LOG_DECADES : NaN);
    if (!(max > 0) || !(floor > 0)) return (v) => (Number.isFinite(v) ? (v > 0 ? 1 : 0) : NaN);
    const lo = Math.log(floor);
    const span = Math.log(max) - lo;
    if (!(span > 0)) return (v) => (Number.isFinite(v) ? (v >= max ? 1 : 0) : NaN);
    return (v) => {
      if (!Number.isFinite(v)) return NaN;
      if (v <= floor) return 0;
      return clamp01((Math.log(v) - lo) / span);
    };
  }
  const span = max - min;
  if (!(span > 0)) return (v) => (Number.isFinite(v) ? (v > min || (v === min && min > 0) ? 1 : 0) : NaN);
  return (v) => (Number.isFinite(v) ? clamp01((v - min) / span) : NaN);
}

/** The one-off form of normalizer(spec)(value). */
export function normalize(value: number, spec: ScaleSpec): number {
  return normalizer(spec)(value);
}

/** Values at evenly spaced points of the scale (in value space), for a legend's labels. */
export function scaleTicks(spec: ScaleSpec, count = 3): number[] {
  const { min, max } = spec.range;
  if (count < 2 || !(max > min)) return [max];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = i / (count - 1);
    if (spec.kind === 'log' && min > 0) out.push(Math.exp(Math.log(min) + t * (Math.log(max) - Math.log(min))));
    else out.push(min + t * (max - min));
  }
  return out;
}

/**
 * A legend's three tick labels: values of `spec` written by `format`, the lowest marked "≤" on a
 * log scale (its bottom colour also holds everything below); with no spec, relative ends for
 * heatmaps that each have their own range (`relativeLog`: on a log scale).
 */
export function tickLabels(spec: ScaleSpec | null, format: (value: number) => string, relativeLog = false): string[] {
  if (!spec) return [relativeLog ? '10⁻⁴·max' : '0', '', 'max']; // 10^-LOG_DECADES
  const labels = scaleTicks(spec, 3).map(format);
  if (spec.kind === 'log') labels[0] = `≤${labels[0]}`;
  return labels;
}

export function clamp01(t: number): number {
  return t <= 0 ? 0 : Math.min(t, 1);
}

// Ramps, low → high. Every sequential ramp starts near the theme's background (so the many
// near-zero weights recede) and its luminance changes monotonically (so it reads in grey too).
const SEQUENTIAL: Record<ThemeKind, string[]> = {
  // ColorBrewer "Blues", white to navy.
  light: ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'],
  // Close to matplotlib's "inferno": near-black through purple and orange to pale yellow.
  dark: ['#16132a', '#4a0c6b', '#a52c60', '#ed6925', '#fcffa4'],
  // High contrast: black to white through a saturated cyan, luminance strictly rising.
  'high-contrast': ['#000000', '#00366e', '#0087c8', '#6fe3ff', '#ffffff'],
  'high-contrast-light': ['#ffffff', '#9ecae1', '#2171b5', '#08306b', '#000000'],
};

const DIVERGING: Record<ThemeKind, string[]> = {
  light: ['#2166ac', '#92c5de', '#f7f7f7', '#f4a582', '#b2182b'],
  dark: ['#4393c3', '#24435e', '#262626', '#6e3226', '#e6753f'],
  'high-contrast': ['#3fa9ff', '#10406a', '#000000', '#7a2c00', '#ff9e3d'],
  'high-contrast-light': ['#0b4f9c', '#9ecae1', '#ffffff', '#f4a582', '#8c1010'],
};

export function hexToRgb(hex: string): Rgb {
  const h = hex.replace('#', '');
  const full = h.length === 3 ? h.replace(/./g, (c) => c + c) : h;
  const n = parseInt(full.slice(0, 6), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** `make` for each theme and ramp, computed on first use and then kept. */
function perRamp<T>(make: (theme: ThemeKind, ramp: RampName) => T): (theme: ThemeKind, ramp?: RampName) => T {
  const made = new Map<string, T>();
  return (theme, ramp = 'sequential') => {
    const key = `${theme}/${ramp}`;
    let value = made.get(key);
    if (value === undefined) {
      value = make(theme, ramp);
      made.set(key, value);
    }
    return value;
  };
}

const stops = perRamp((theme, ramp) => (ramp === 'diverging' ? DIVERGING : SEQUENTIAL)[theme].map(hexToRgb));

/** [0, 1] → RGB on the theme's ramp (piecewise linear between its stops). */
export function rampColor(t: number, theme: ThemeKind, ramp: RampName = 'sequential'): Rgb {
  const s = stops(theme, ramp);
  const x = clamp01(Number.isFinite(t) ? t : 0) * (s.length - 1);
  const i = Math.min(s.length - 2, Math.floor(x));
  const f = x - i;
  const a = s[i];
  const b = s[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

export const LUT_SIZE = 256;

/** RGBA lookup table of LUT_SIZE entries, so drawing a cell is an index, not an interpolation. */
export function buildLut(theme: ThemeKind, ramp: RampName = 'sequential'): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(LUT_SIZE * 4);
  for (let i = 0; i < LUT_SIZE; i++) {
    const [r, g, b] = rampColor(i / (LUT_SIZE - 1), theme, ramp);
    lut.set([r, g, b, 255], i * 4);
  }
  return lut;
}

/** The theme's LUT (sequential unless `ramp` says), built once and then shared: do not write to it. */
export const lutFor = perRamp(buildLut);

/** The RGB a LUT holds for a normalised value; null for NaN ("no value"). */
export function lutColor(lut: Uint8ClampedArray, t: number): Rgb | null {
  const i = lutIndex(t);
  return i < 0 ? null : [lut[i * 4], lut[i * 4 + 1], lut[i * 4 + 2]];
}

/** Index into a LUT for a normalised value; -1 for NaN ("no value"). */
export function lutIndex(t: number): number {
  return Number.isNaN(t) ? -1 : Math.round(clamp01(t) * (LUT_SIZE - 1));
}

/** WCAG relative luminance of an sRGB colour, 0 (black) .. 1 (white). */
export function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Text colour that stays readable on a cell of colour `bg`. */
export function textOn(bg: Rgb): '#000000' | '#ffffff' {
  // The crossing point where black and white text have equal contrast ratio.
  return luminance(bg) > 0.179 ? '#000000' : '#ffffff';
}

export function rgbCss([r, g, b]: Rgb, alpha = 1): string {
  return alpha >= 1 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${alpha})`;
}
