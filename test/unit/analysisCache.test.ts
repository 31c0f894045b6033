import { describe, expect, it } from 'vitest';
import { ByteLruCache, typedArrayBytes } from '../../src/analysisCache';

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
