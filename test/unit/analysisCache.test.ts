import { describe, expect, it } from 'vitest';
import { AnalysisCache, analysisKey, ByteLruCache, typedArrayBytes } from '../../src/host/analysisCache';
import type { Analysis } from '../../src/engine/types';
import { hookGroups } from '../../src/shared/hooks';

describe('ByteLruCache', () => {
  it('evicts the least recently used entries to stay within its byte budget', () => {
    const cache = new ByteLruCache<Float32Array>(100, typedArrayBytes);
    cache.set('a', new Float32Array(10)); // 40 bytes
    cache.set('b', new Float32Array(10));
    cache.get('a');
    cache.set('c', new Float32Array(10)); // 120 > 100: evicts b, the least recently used
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.bytes).toBe(80);
    cache.set('huge', new Float32Array(100));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('counts a buffer shared by two views once', () => {
    const data = new Float32Array(8);
    expect(typedArrayBytes({ x: data, y: data.subarray(2), z: { w: new Int32Array(2) } })).toBe(32 + 8);
  });
});

describe('analysisKey', () => {
  it('tells a run with interventions from a plain one and from other interventions', () => {
    const plain = analysisKey('m.onnx', 'text', { hooks: hookGroups.attention });
    const zero = analysisKey('m.onnx', 'text', { hooks: hookGroups.attention, interventions: [{ hook: 'blocks.0.attn.hook_z', mode: 'zero', indices: [1] }] });
    const mean = analysisKey('m.onnx', 'text', { hooks: hookGroups.attention, interventions: [{ hook: 'blocks.0.attn.hook_z', mode: 'mean', indices: [1] }] });
    const otherHead = analysisKey('m.onnx', 'text', {
      hooks: hookGroups.attention,
      interventions: [{ hook: 'blocks.0.attn.hook_z', mode: 'zero', indices: [2] }],
    });
    expect(new Set([plain, zero, mean, otherHead]).size).toBe(4);
    expect(analysisKey('m.onnx', 'text', { hooks: hookGroups.attention })).toBe(plain);
    expect(analysisKey('other.onnx', 'text', { hooks: hookGroups.attention })).not.toBe(plain);
  });

  it('gives no key to a run that patches in another run’s values', () => {
    const source = { shape: [2, 4], data: new Float32Array(8) };
    expect(
      analysisKey('m.onnx', 'text', { logits: true, interventions: [{ hook: 'blocks.0.hook_resid_pre', mode: 'patch', positions: [1], source }] }),
    ).toBeUndefined();
  });
});

describe('AnalysisCache', () => {
  const analysis = (n: number) => ({ prob: new Float32Array(n) }) as unknown as Analysis;

  it('answers a request asked before from what it kept, until cleared', async () => {
    const cache = new AnalysisCache(1024);
    let runs = 0;
    const analyze = async () => analysis(++runs);
    const first = await cache.answer('m.onnx', 'text', {}, analyze);
    expect(first.cached).toBe(false);
    expect(await cache.answer('m.onnx', 'text', {}, analyze)).toEqual({ analysis: first.analysis, cached: true });
    expect((await cache.answer('other.onnx', 'text', {}, analyze)).cached).toBe(false);
    expect(cache.bytes).toBe(4 + 8);
    cache.clear();
    expect(cache.bytes).toBe(0);
    expect((await cache.answer('m.onnx', 'text', {}, analyze)).cached).toBe(false);
    expect(runs).toBe(3);
  });

  it('keeps neither a run that patches in another run’s values nor a failed one', async () => {
    const cache = new AnalysisCache(1024);
    const source = { shape: [2, 4], data: new Float32Array(8) };
    const patched = { interventions: [{ hook: 'blocks.0.hook_resid_pre', mode: 'patch' as const, positions: [1], source }] };
    await cache.answer('m.onnx', 'text', patched, async () => analysis(1));
    expect((await cache.answer('m.onnx', 'text', patched, async () => analysis(1))).cached).toBe(false);
    await expect(cache.answer('m.onnx', 'text', {}, () => Promise.reject(new Error('cancelled')))).rejects.toThrow('cancelled');
    expect((await cache.answer('m.onnx', 'text', {}, async () => analysis(1))).cached).toBe(false);
  });
});
