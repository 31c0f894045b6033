import type { Page } from 'playwright-core';
import { BUCKET_COLOURS } from '../../../src/host/decorations/heatmapColours';
import { type Decoration, editorDecorations } from './editor';

const HEATMAP_COLOURS = new Set(Object.values(BUCKET_COLOURS).flatMap((c) => [c.light, c.dark].map((rgba) => rgba.replace(/\s+/g, ''))));

/** Whether a CSS colour is one of the heatmap's default colours (light or dark theme). */
export function isHeatmapColour(rgba: string): boolean {
  return HEATMAP_COLOURS.has(rgba.replace(/\s+/g, ''));
}

/** The editor's decorations in one of the heatmap's colours. */
export async function heatmapDecorations(page: Page): Promise<Decoration[]> {
  return (await editorDecorations(page)).filter((d) => isHeatmapColour(d.backgroundColor));
}
