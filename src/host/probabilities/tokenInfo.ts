// The per-token facts hovers and the heatmap show, taken from an analysis of one window.
import { predictionRow, type Analysis } from '../../engine/types';
import type { TokenInfo, WindowPlan } from './documentWindows';

/** Tokens of a window's analysis that start in its owned region, in document offsets. */
export function windowTokens(analysis: Analysis, plan: WindowPlan): TokenInfo[] {
  const positions = analysis.tokens.length;
  const k = analysis.topK;
  const lens = analysis.lens;
  const out: TokenInfo[] = [];
  analysis.tokens.forEach((t, i) => {
    const start = plan.contextStart + t.start;
    if (start < plan.ownedStart || start >= plan.ownedEnd || t.end === t.start) return;
    // The position whose predictions are about this token: the one before it, or for a masked
    // model the token's own (its top predictions with it masked; the lens with it visible).
    const row = predictionRow(analysis, i);
    const top =
      row < 0 || !k
        ? []
        : Array.from({ length: k }, (_, j) => ({ text: analysis.pieces[analysis.topIds[row * k + j]] ?? '', prob: analysis.topProbs[row * k + j] }));
    let firstTopRow = -1;
    if (lens && row >= lens.from) {
      const covered = positions - lens.from;
      for (let r = 0; r < lens.rows && firstTopRow < 0; r++) if (lens.ids[(r * covered + row - lens.from) * lens.k] === t.id) firstTopRow = r;
    }
    out.push({
      start,
      end: plan.contextStart + t.end,
      id: t.id,
      text: t.text,
      prob: analysis.prob[i],
      ...(analysis.predicts === 'masked' ? { masked: true } : {}),
      rank: analysis.rank[i],
      entropy: analysis.entropy[i],
      top,
      firstTopRow,
      lensRows: lens?.rows ?? 0,
    });
  });
  return out;
}

/** Perplexity of a run of tokens: exp of the mean surprisal, over tokens that have a prediction. */
export function perplexity(tokens: readonly TokenInfo[]): number | undefined {
  const predicted = tokens.filter((t) => Number.isFinite(t.prob) && t.prob > 0);
  if (predicted.length === 0) return undefined;
  return Math.exp(-predicted.reduce((sum, t) => sum + Math.log(t.prob), 0) / predicted.length);
}

export type RankBucket = 'top10' | 'top100' | 'top1000' | 'beyond';

/** GLTR's buckets: how far down the model's list the actual token was. */
export function rankBucket(rank: number): RankBucket | undefined {
  if (!rank) return undefined;
  return rank <= 10 ? 'top10' : rank <= 100 ? 'top100' : rank <= 1000 ? 'top1000' : 'beyond';
}
