// Text only this panel shows: attention weights, GLTR rank buckets, where each layer's
// attention came from, and changes in log-probability (with their scale). Token labels and the
// generic number formats are in shared/format.ts.
import type { AttentionSource, Prediction } from '../../src/shared/modelInfo';
import { divergingScale, type ScaleSpec } from '../shared/colorScale';
import type { HeadChoice } from '../../src/shared/protocol';
import { formatRanges, formatSci } from '../shared/format';
import { t } from '../shared/l10n';

/** An attention weight: three decimals, or scientific notation when that would read 0.000. */
export function formatWeight(w: number): string {
  if (!Number.isFinite(w)) return Number.isNaN(w) ? '—' : w > 0 ? '∞' : '−∞';
  if (w === 0) return '0';
  if (Math.abs(w) < 0.001) return formatSci(w);
  return w.toFixed(3);
}

export type RankBucket = 'top1' | 'top10' | 'top100' | 'rest' | 'none';

/** GLTR's buckets: how surprising the token was to the model. */
export function rankBucket(rank: number | null | undefined): RankBucket {
  if (!rank || rank < 1) return 'none';
  if (rank === 1) return 'top1';
  if (rank <= 10) return 'top10';
  if (rank <= 100) return 'top100';
  return 'rest';
}

/** Layers grouped by identical source, e.g. "Layers 0–11: recomputed from the fused Attention operator". */
export function sourceLines(sources: readonly AttentionSource[]): { kind: AttentionSource['kind']; text: string }[] {
  const groups = new Map<string, { kind: AttentionSource['kind']; layers: number[]; text: string }>();
  sources.forEach((s, L) => {
    if (s.kind === 'softmax') return;
    const text =
      s.kind === 'recomputed' ? `attention recomputed from the input of the fused ${s.op} operator (${s.detail})` : `attention unavailable: ${s.reason}`;
    const key = `${s.kind}|${text}`;
    const g = groups.get(key) ?? { kind: s.kind, layers: [], text };
    g.layers.push(L);
    groups.set(key, g);
  });
  return [...groups.values()].map((g) => ({ kind: g.kind, text: `${g.layers.length === 1 ? 'Layer' : 'Layers'} ${formatRanges(g.layers)}: ${g.text}` }));
}

/**
 * "Layer 3, head 5", "Layer 3, mean of heads", "Rollout up to layer 3": a title in the display
 * language (the host's choiceName is the English phrase its exports and labels use).
 */
export function choiceTitle(layer: number, head: HeadChoice): string {
  if (head === 'mean') return t('Layer {0}, mean of heads', layer);
  if (head === 'rollout') return t('Rollout up to layer {0}', layer);
  return t('Layer {0}, head {1}', layer, head);
}

/** Share of the changes that get their own colour; the largest few are drawn clamped. */
const CHANGE_QUANTILE = 0.9;

/**
 * The diverging scale of changes in log2 probability: up to the 90th percentile of their size
 * (a token made rare by a few bits more would otherwise wash out every other change), and at
 * least ±1 bit so that small changes stay pale.
 */
export function changeScale(delta: ArrayLike<number>): ScaleSpec {
  const sizes = Array.from(delta, Math.abs)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const typical = sizes.length ? sizes[Math.floor(CHANGE_QUANTILE * (sizes.length - 1))] : 0;
  return divergingScale([typical], 1);
}

/** A change in log2 probability, signed: "+1.25 bits". */
export function formatBits(bits: number): string {
  if (!Number.isFinite(bits)) return '–';
  const rounded = Math.abs(bits) < 0.005 ? 0 : bits;
  return `${rounded > 0 ? '+' : rounded < 0 ? '−' : '±'}${Math.abs(rounded).toFixed(2)} bits`;
}

/** What a token's probability is, for the model's kind of prediction. */
export function probabilityName(predicts: Prediction): string {
  return predicts === 'masked' ? 'P(token | the rest, token masked)' : 'P(token | before)';
}

/** Why a token has no probability. */
export const NO_PROBABILITY: Record<Prediction, string> = {
  next: 'first token: nothing before it to predict from',
  masked: 'special token: the model is not asked to predict it',
  classes: 'a classifier scores the whole text, not its tokens',
};
