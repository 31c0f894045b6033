// How this panel turns attention into colour: one scale setting (linear/log, ignore token 0)
// applied alike to the grid, the head view and the lines' opacity.
import { attentionScale, lutFor, normalizer, type ScaleKind, type ScaleSpec, type ThemeKind } from '../shared/colorScale';
import type { HeatmapColors } from '../shared/heatmap';

export interface ScaleSettings {
  kind: ScaleKind;
  ignoreFirst: boolean;
}

export interface MatrixColors extends HeatmapColors {
  spec: ScaleSpec;
}

/**
 * Colours for one shown [query, key] matrix. `firstTokenColumn` is where token 0 sits on screen
 * (-1 if it is not shown); with ignoreFirst it is left out of the range and drawn clamped.
 */
export function matrixColors(values: ArrayLike<number>, cols: number, firstTokenColumn: number, settings: ScaleSettings, theme: ThemeKind): MatrixColors {
  const spec = attentionScale(values, settings.kind, cols, settings.ignoreFirst ? firstTokenColumn : -1);
  return { spec, normalize: normalizer(spec), lut: lutFor(theme) };
}
