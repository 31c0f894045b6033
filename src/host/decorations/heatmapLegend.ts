// What the token probability heatmap's colours mean, as Markdown for the Model Lens status bar
// item's tooltip. Each band is drawn in the very theme colour the heatmap uses (its CSS variable),
// so the legend follows themes and workbench.colorCustomizations; the rank it stands for is
// written beside it, so the colour is never the only way to read it.
import type { RankBucket } from '../probabilities/tokenInfo';
import { BUCKET_COLOURS } from './heatmapColours';

/** What each band says about a token, in rankBucket's order. */
const MEANING: Record<RankBucket, string> = {
  top10: "among the model's 10 likeliest next tokens: what it expected",
  top100: 'ranked 11 to 100',
  top1000: 'ranked 101 to 1000',
  beyond: 'ranked below 1000: a surprise to the model',
};

/** The CSS variable VS Code gives a theme colour (dots become dashes), which Markdown's <span> may use. */
export function themeColourVariable(id: string): string {
  return `--vscode-${id.replace(/\./g, '-')}`;
}

/**
 * The legend: one line per band, in rank order, then which colour ids to change and a link that
 * clears the heatmap. Needs `supportHtml` (for the coloured <span>s, whose style VS Code keeps only
 * in the form `background-color:var(--vscode-…);`) and `clearCommand` among the trusted commands.
 */
export function heatmapLegendMarkdown(clearCommand: string): string {
  const bands = (Object.keys(BUCKET_COLOURS) as RankBucket[]).map((bucket) => {
    const { id, label } = BUCKET_COLOURS[bucket];
    return `<span style="background-color:var(${themeColourVariable(id)});">&nbsp;${label}&nbsp;</span> ${MEANING[bucket]}`;
  });
  return [
    "**Token probability heatmap**: each token is coloured by its rank among the model's predictions for it.",
    '',
    // Two trailing spaces: a Markdown line break between bands.
    bands.join('  \n'),
    '',
    `Themes and \`workbench.colorCustomizations\` can change these colours: ${Object.values(BUCKET_COLOURS)
      .map((c) => `\`${c.id}\``)
      .join(', ')}.`,
    '',
    `[Clear the heatmap](command:${clearCommand})`,
  ].join('\n');
}
