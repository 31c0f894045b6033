import { describe, expect, it } from 'vitest';
import { formatWeight, NO_PROBABILITY, probabilityName, rankBucket, sourceLines } from '../../../webview/attention/format';

describe('attention panel text', () => {
  it('formats weights', () => {
    expect(formatWeight(0.12345)).toBe('0.123');
    expect(formatWeight(0)).toBe('0');
    expect(formatWeight(0.00042)).toBe('4.2e−4');
    expect(formatWeight(NaN)).toBe('—');
  });

  it('summarises layer sources, skipping plain softmax', () => {
    const lines = sourceLines([
      { kind: 'softmax' },
      { kind: 'recomputed', op: 'Attention', detail: 'packed QKV' },
      { kind: 'recomputed', op: 'Attention', detail: 'packed QKV' },
      { kind: 'unavailable', reason: 'no inputs' },
    ]);
    expect(lines).toEqual([
      { kind: 'recomputed', text: 'Layers 1–2: attention recomputed from the input of the fused Attention operator (packed QKV)' },
      { kind: 'unavailable', text: 'Layer 3: attention unavailable: no inputs' },
    ]);
  });

  it('buckets ranks as GLTR does', () => {
    expect(rankBucket(1)).toBe('top1');
    expect(rankBucket(7)).toBe('top10');
    expect(rankBucket(100)).toBe('top100');
    expect(rankBucket(101)).toBe('rest');
    expect(rankBucket(null)).toBe('none');
  });
});

describe('what a token’s probability is', () => {
  it('names a masked model’s probability as computed with the token masked, and says why one is missing', () => {
    expect(probabilityName('next')).toBe('P(token | before)');
    expect(probabilityName('masked')).toBe('P(token | the rest, token masked)');
    expect(NO_PROBABILITY.next).toContain('first token');
    expect(NO_PROBABILITY.masked).toContain('special token');
    expect(NO_PROBABILITY.classes).toContain('classifier');
  });
});
