// The heatmap's colours, apart from VS Code so tests can read them. Each is a colour the
// extension contributes (package.json contributes.colors, with these as its light and dark
// defaults), so themes and users can change it.
import type { RankBucket } from '../probabilities/tokenInfo';

/** Per bucket, after GLTR's green, yellow, red and purple: the theme colour's id, its light and dark defaults. */
export const BUCKET_COLOURS: Record<RankBucket, { id: string; light: string; dark: string; label: string }> = {
  top10: { id: 'modelLens.heatmap.top10Background', light: 'rgba(46, 160, 67, 0.3)', dark: 'rgba(87, 200, 110, 0.3)', label: 'top 10' },
  top100: { id: 'modelLens.heatmap.top100Background', light: 'rgba(210, 160, 0, 0.35)', dark: 'rgba(240, 200, 60, 0.32)', label: 'top 100' },
  top1000: { id: 'modelLens.heatmap.top1000Background', light: 'rgba(220, 60, 50, 0.32)', dark: 'rgba(255, 95, 85, 0.35)', label: 'top 1000' },
  beyond: { id: 'modelLens.heatmap.beyondBackground', light: 'rgba(140, 60, 200, 0.35)', dark: 'rgba(190, 120, 255, 0.4)', label: 'beyond' },
};
