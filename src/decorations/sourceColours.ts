// The colours "Why this token?" gives the earlier text in the editor, apart from VS Code so tests
// can read them. They come from the diverging ramp the panel's legend draws
// (webview/shared/colorScale.ts): its ends, more opaque the larger the share, over the editor's
// own background, which stands in for the ramp's neutral middle.
import { rampColor, rgbCss } from '../../webview/shared/colorScale';

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
