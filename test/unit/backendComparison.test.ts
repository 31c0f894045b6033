import { describe, expect, it } from 'vitest';
import { describeDifferences, differences } from '../../src/host/commands/backendComparison';
import type { Analysis } from '../../src/engine/types';

function analysis(shift: number): Analysis {
  return {
    tokens: [{ id: 1, text: 'a', start: 0, end: 1, special: false }],
    prob: Float32Array.from([NaN, 0.5 + shift]),
    topProbs: Float32Array.from([0.25, 0.75]),
    activations: {
      'blocks.0.attn.hook_pattern': { shape: [1, 1, 1], data: Float32Array.from([1 - shift]) },
      'blocks.0.hook_resid_post': { shape: [1, 1], data: Float32Array.from([shift * 100]) },
    },
    logits: { shape: [1, 2], data: Float32Array.from([1, 2 + 10 * shift]) },
  } as unknown as Analysis;
}

describe('differences', () => {
  it('takes the largest absolute difference of attention, probabilities and logits', () => {
    const d = differences(analysis(0), analysis(0.001));
    expect(d.attention).toBeCloseTo(0.001, 6);
    expect(d.probabilities).toBeCloseTo(0.001, 6);
    expect(d.logits).toBeCloseTo(0.01, 6);
    expect(describeDifferences('WebGPU', d)).toBe('WebGPU vs WebAssembly on 1 tokens: max |Δ| attention 1.0e-3, probabilities 1.0e-3, logits 1.0e-2.');
  });

  it('reports a missing layer as a mismatch, not as agreement', () => {
    const b = analysis(0);
    delete (b.activations as Record<string, unknown>)['blocks.0.attn.hook_pattern'];
    expect(differences(analysis(0), b).attention).toBe(Infinity);
  });
});
