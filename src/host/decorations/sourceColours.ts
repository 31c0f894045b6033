// The colours signed values give text in the editor ("Why this token?"'s shares of the earlier
// text, a head ablation's changes in log-probability), apart from VS Code so tests can read them.
// They come from the diverging ramp the panels' legends draw (webview/shared/colorScale.ts): its
// ends, more opaque the larger the value, over the editor's own background, which stands in for
// the ramp's neutral middle.
import { changeScale } from '../../../webview/attention/format';
import { rampColor, rgbCss } from '../../../webview/shared/colorScale';

/** Shares are bucketed (a decoration type has one fixed colour): this many levels each way. */
export const SOURCE_LEVELS = 5;
/** Shares below this fraction of the largest one are left uncoloured: they would be noise. */
const SHOWN_FROM = 0.05;

/**
 * A share's level, −SOURCE_LEVELS (strongly toward the foil) .. SOURCE_LEVELS (strongly toward
 * the target), relative to the largest share in absolute value; 0 for one too small to colour.
 */
export function sourceLevel(value: number, largest: number): number {
  if (!(largest > 0) || !Number.isFinite(value)) return 0;
  const t = Math.min(1, Math.abs(value) / largest);
  if (t < SHOWN_FROM) return 0;
  return Math.sign(value) * Math.max(1, Math.ceil(t * SOURCE_LEVELS));
}

/** The background of a level (not 0) in light and dark themes. */
export function sourceLevelColour(level: number): { light: string; dark: string } {
  const end = level > 0 ? 1 : 0;
  const alpha = Number((0.1 + (0.45 * Math.abs(level)) / SOURCE_LEVELS).toFixed(2));
  return { light: rgbCss(rampColor(end, 'light', 'diverging'), alpha), dark: rgbCss(rampColor(end, 'dark', 'diverging'), alpha) };
}

/**
 * The level of each change in log2 P(token) with heads switched off, on the scale the attention
 * panel's token strip draws them with (changeScale), so that editor and strip tell the same story:
 * positive (more likely) warm, negative (less likely) blue.
 */
export function changeLevels(delta: ArrayLike<number>): number[] {
  const halfWidth = changeScale(delta).range.max;
  return Array.from(delta, (d) => sourceLevel(d, halfWidth));
}
