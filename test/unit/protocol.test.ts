// Messages from a webview are untrusted: only well-formed ones get through.
import { describe, expect, it } from 'vitest';
import { parseFromAttentionPanel, parseFromSideView } from '../../src/protocol';

describe('parseFromAttentionPanel', () => {
  it('accepts the messages the panel sends', () => {
    expect(parseFromAttentionPanel({ type: 'ready' })).toEqual({ type: 'ready' });
    expect(parseFromAttentionPanel({ type: 'selectToken', id: 1, query: 3, layer: 0, head: 'mean' })).toEqual({ type: 'selectToken', id: 1, query: 3, layer: 0, head: 'mean' });
    expect(parseFromAttentionPanel({ type: 'export', id: 1, format: 'png', layer: 2, head: 1, png: 'data:image/png;base64,AAAA' })).toMatchObject({ format: 'png', png: 'data:image/png;base64,AAAA' });
  });

  it('drops anything else, and extra fields', () => {
    for (const bad of [
      null,
      'ready',
      { type: 'evil' },
      { type: 'selectToken', id: 1, query: -1, layer: 0, head: 0 },
      { type: 'selectToken', id: 1, query: 1.5, layer: 0, head: 0 },
      { type: 'selectToken', id: 1, query: 1, layer: 0, head: 'all' },
      { type: 'requestHeadDetail', id: '1', layer: 0, head: 0 },
      { type: 'export', id: 1, format: 'exe', layer: 0, head: 0 },
      { type: 'export', id: 1, format: 'png', layer: 0, head: 0, png: 'javascript:alert(1)' },
    ]) {
      expect(parseFromAttentionPanel(bad)).toBeUndefined();
    }
    expect(parseFromAttentionPanel({ type: 'clearSelection', path: '/etc/passwd' })).toEqual({ type: 'clearSelection' });
  });
});

describe('GPU adapter reports', () => {
  it('accepts a well-formed adapter or null, and nothing else', () => {
    const adapter = { vendor: 'nvidia', architecture: 'hopper', description: '', software: false, shaderF16: true };
    expect(parseFromAttentionPanel({ type: 'gpuAdapter', adapter })).toEqual({ type: 'gpuAdapter', adapter });
    expect(parseFromSideView({ type: 'gpuAdapter', adapter: null })).toEqual({ type: 'gpuAdapter', adapter: null });
    expect(parseFromSideView({ type: 'gpuAdapter', adapter: { ...adapter, software: 'no' } })).toBeUndefined();
    expect(parseFromSideView({ type: 'gpuAdapter' })).toBeUndefined();
  });
});
