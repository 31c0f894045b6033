// The heatmap's legend in the status bar item's tooltip: bands in the contributed theme colours,
// in a form VS Code's Markdown sanitizer keeps, each with its meaning in words.
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json';
import { BUCKET_COLOURS } from '../../src/host/decorations/heatmapColours';
import { heatmapLegendMarkdown, themeColourVariable } from '../../src/host/decorations/heatmapLegend';

/**
 * The only `style` VS Code keeps on a <span> in Markdown with supportHtml (its markdown renderer's
 * sanitizer, VS Code 1.100): any other style, and the colour with it, is dropped.
 */
const KEPT_SPAN_STYLE =
  /^(color:(#[0-9a-fA-F]+|var\(--vscode(-[a-zA-Z0-9]+)+\));)?(background-color:(#[0-9a-fA-F]+|var\(--vscode(-[a-zA-Z0-9]+)+\));)?(border-radius:[0-9]+px;)?$/;

describe('the heatmap legend', () => {
  const markdown = heatmapLegendMarkdown('modelLens.clearTokenHeatmap');
  const bands = [...markdown.matchAll(/<span style="([^"]*)">&nbsp;([^&]+)&nbsp;<\/span> ([^\n]+)/g)];

  it('has one band per rank bucket, in rank order, each named and explained in words', () => {
    expect(bands.map((b) => b[2])).toEqual(['top 10', 'top 100', 'top 1000', 'beyond']);
    expect(bands[0]![3]).toContain('10 likeliest');
    expect(bands[1]![3]).toContain('ranked 11 to 100');
    expect(bands[2]![3]).toContain('ranked 101 to 1000');
    expect(bands[3]![3]).toContain('below 1000');
  });

  it("draws each band in the contributed theme colour's CSS variable, in a style VS Code keeps", () => {
    const contributed = packageJson.contributes.colors.map((c) => c.id);
    expect(bands.map((b) => b[1])).toEqual(Object.values(BUCKET_COLOURS).map((c) => `background-color:var(${themeColourVariable(c.id)});`));
    for (const [, style] of bands) expect(style).toMatch(KEPT_SPAN_STYLE);
    for (const { id } of Object.values(BUCKET_COLOURS)) {
      expect(contributed).toContain(id);
      expect(markdown).toContain(`\`${id}\``); // named, for workbench.colorCustomizations
    }
  });

  it('names the CSS variable as VS Code does: --vscode- and the id with dashes for dots', () => {
    expect(themeColourVariable('modelLens.heatmap.top10Background')).toBe('--vscode-modelLens-heatmap-top10Background');
  });

  it('ends with a link that clears the heatmap, and no other link', () => {
    expect(markdown.match(/\]\(/g)).toHaveLength(1);
    expect(markdown.trimEnd().split('\n').at(-1)).toBe('[Clear the heatmap](command:modelLens.clearTokenHeatmap)');
  });
});
