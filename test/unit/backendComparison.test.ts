import { describe, expect, it } from 'vitest';
import { analyzeOnBothBackends, describeDifferences, differences } from '../../src/host/commands/backendComparison';
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

describe('analyzeOnBothBackends', () => {
  it('analyses on the engine in use and on a reference engine that loads the model, then is disposed', async () => {
    const calls: string[] = [];
    const engine = {
      analyze: async (text: string) => {
        calls.push(`current ${text}`);
        return analysis(0);
      },
    };
    const reference = {
      load: async (target: string) => {
        calls.push(`load ${target}`);
        return undefined as never;
      },
      analyze: async (text: string) => {
        calls.push(`reference ${text}`);
        return analysis(0.001);
      },
      dispose: () => void calls.push('dispose'),
    };
    const both = await analyzeOnBothBackends(engine, () => reference, '/models/m', 'a', {});
    expect(calls).toEqual(['current a', 'load /models/m', 'reference a', 'dispose']);
    expect(differences(both.current, both.reference).logits).toBeCloseTo(0.01, 6);
  });

  it('disposes the reference engine when its load fails', async () => {
    let disposed = false;
    const reference = {
      load: () => Promise.reject(new Error('no such model')),
      analyze: async () => analysis(0),
      dispose: () => void (disposed = true),
    };
    await expect(analyzeOnBothBackends({ analyze: async () => analysis(0) }, () => reference, '/m', 'a', {})).rejects.toThrow('no such model');
    expect(disposed).toBe(true);
  });
});
