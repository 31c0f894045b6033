// Messages from a webview are untrusted: only well-formed ones get through.
import { describe, expect, it } from 'vitest';
import {
  answersGpuRequest,
  parseExplainArgs,
  parseFromAttentionPanel,
  parseFromGpuView,
  parseFromPatchingPanel,
  parseFromSideView,
  parseFromWalkPanel,
  parseRestoredPanel,
  parseRestoredWalk,
  type ToGpuView,
} from '../../src/shared/protocol';

describe('parseFromAttentionPanel', () => {
  it('accepts the messages the panel sends', () => {
    expect(parseFromAttentionPanel({ type: 'ready' })).toEqual({ type: 'ready' });
    expect(parseFromAttentionPanel({ type: 'selectToken', id: 1, query: 3, layer: 0, head: 'mean' })).toEqual({
      type: 'selectToken',
      id: 1,
      query: 3,
      layer: 0,
      head: 'mean',
    });
    expect(parseFromAttentionPanel({ type: 'export', id: 1, format: 'png', layer: 2, head: 1, png: 'data:image/png;base64,AAAA' })).toMatchObject({
      format: 'png',
      png: 'data:image/png;base64,AAAA',
    });
    expect(parseFromAttentionPanel({ type: 'requestHeadDetail', request: 7, id: 1, layer: 0, head: 2 })).toEqual({
      type: 'requestHeadDetail',
      request: 7,
      id: 1,
      layer: 0,
      head: 2,
    });
  });

  it('drops anything else, and extra fields', () => {
    for (const bad of [
      null,
      'ready',
      { type: 'evil' },
      { type: 'selectToken', id: 1, query: -1, layer: 0, head: 0 },
      { type: 'selectToken', id: 1, query: 1.5, layer: 0, head: 0 },
      { type: 'selectToken', id: 1, query: 1, layer: 0, head: 'all' },
      { type: 'requestHeadDetail', request: 1, id: '1', layer: 0, head: 0 },
      { type: 'requestHeadDetail', id: 1, layer: 0, head: 0 },
      { type: 'export', id: 1, format: 'exe', layer: 0, head: 0 },
      { type: 'export', id: 1, format: 'png', layer: 0, head: 0, png: 'javascript:alert(1)' },
    ]) {
      expect(parseFromAttentionPanel(bad)).toBeUndefined();
    }
    expect(parseFromAttentionPanel({ type: 'clearSelection', path: '/etc/passwd' })).toEqual({ type: 'clearSelection' });
  });
});

describe('ablate messages from the attention panel', () => {
  it('accepts distinct heads and a mode', () => {
    const heads = [
      { layer: 1, head: 2 },
      { layer: 0, head: 3 },
    ];
    expect(parseFromAttentionPanel({ type: 'ablate', id: 4, heads, mode: 'mean' })).toEqual({ type: 'ablate', id: 4, heads, mode: 'mean' });
    expect(parseFromAttentionPanel({ type: 'ablate', id: 4, heads: [{ layer: 0, head: 0, extra: 1 }], mode: 'zero' })).toEqual({
      type: 'ablate',
      id: 4,
      heads: [{ layer: 0, head: 0 }],
      mode: 'zero',
    });
  });

  it('drops malformed, repeated or endless head lists and unknown modes', () => {
    for (const bad of [
      { type: 'ablate', id: 4, heads: [{ layer: 0, head: 0 }], mode: 'patch' },
      { type: 'ablate', id: 4, heads: 'all', mode: 'zero' },
      { type: 'ablate', id: 4, heads: [{ layer: -1, head: 0 }], mode: 'zero' },
      { type: 'ablate', id: 4, heads: [null], mode: 'zero' },
      {
        type: 'ablate',
        id: 4,
        heads: [
          { layer: 0, head: 1 },
          { layer: 0, head: 1 },
        ],
        mode: 'zero',
      },
      { type: 'ablate', id: 4, heads: Array.from({ length: 5000 }, (_, i) => ({ layer: 0, head: i % 4096 })), mode: 'zero' },
      { type: 'ablate', heads: [], mode: 'zero' },
    ]) {
      expect(parseFromAttentionPanel(bad)).toBeUndefined();
    }
  });
});

describe('parseFromPatchingPanel', () => {
  it('accepts ready and exports', () => {
    expect(parseFromPatchingPanel({ type: 'ready' })).toEqual({ type: 'ready' });
    expect(parseFromPatchingPanel({ type: 'export', id: 2, format: 'csv', png: 'ignored' })).toEqual({ type: 'export', id: 2, format: 'csv' });
    expect(parseFromPatchingPanel({ type: 'export', id: 2, format: 'png', png: 'data:image/png;base64,AAAA' })).toEqual({
      type: 'export',
      id: 2,
      format: 'png',
      png: 'data:image/png;base64,AAAA',
    });
  });

  it('drops anything else', () => {
    for (const bad of [
      null,
      'ready',
      { type: 'export', id: 2, format: 'exe' },
      { type: 'export', id: 2, format: 'png' },
      { type: 'export', id: 2, format: 'png', png: 'file:///etc/passwd' },
      { type: 'export', id: -1, format: 'json' },
      { type: 'ablate' },
    ]) {
      expect(parseFromPatchingPanel(bad)).toBeUndefined();
    }
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

describe('parseRestoredPanel', () => {
  it("reads what an attention panel's saved state says it explained", () => {
    const state = { tab: 'head', explained: { uri: 'file:///w/a.ts', selection: { start: 3, end: 9 } } };
    expect(parseRestoredPanel(state)).toEqual({ uri: 'file:///w/a.ts', selection: { start: 3, end: 9 }, pinned: false });
  });

  it('says whether the panel was pinned (only a boolean true pins it)', () => {
    const explained = { uri: 'file:///w/a.ts', selection: { start: 3, end: 9 } };
    expect(parseRestoredPanel({ explained, pinned: true })?.pinned).toBe(true);
    expect(parseRestoredPanel({ explained, pinned: 'yes' })?.pinned).toBe(false);
  });

  it('names nothing for a state that is not well-formed', () => {
    for (const bad of [
      undefined,
      null,
      'file:///w/a.ts',
      { explained: null },
      { explained: { uri: 42, selection: { start: 0, end: 1 } } },
      { explained: { uri: '/etc/passwd', selection: { start: 0, end: 1 } } },
      { explained: { uri: `file:///${'a'.repeat(5000)}`, selection: { start: 0, end: 1 } } },
      { explained: { uri: 'file:///w/a.ts', selection: { start: 5, end: 1 } } },
      { explained: { uri: 'file:///w/a.ts', selection: { start: -1, end: 1 } } },
      { explained: { uri: 'file:///w/a.ts' } },
    ]) {
      expect(parseRestoredPanel(bad)).toBeUndefined();
    }
  });
});

describe('the step-by-step panel', () => {
  it('reads its requests and its saved state', () => {
    expect(parseFromWalkPanel({ type: 'ready' })).toEqual({ type: 'ready' });
    expect(parseFromWalkPanel({ type: 'pick', id: 1, position: 3, extra: 1 })).toEqual({ type: 'pick', id: 1, position: 3 });
    expect(parseFromWalkPanel({ type: 'openHead', id: 1, layer: 2, head: 0 })).toEqual({ type: 'openHead', id: 1, layer: 2, head: 0 });
    expect(parseRestoredWalk({ walked: { uri: 'file:///w/a.ts', offset: 4 }, layer: 1 })).toEqual({ uri: 'file:///w/a.ts', offset: 4 });
  });

  it('drops anything else, at any depth', () => {
    const messages = [
      null,
      'ready',
      3,
      [],
      { type: 'pick', id: 1 },
      { type: 'pick', id: 1, position: -1 },
      { type: 'openHead', id: 1, layer: 4097, head: 0 },
      { type: 'walk' },
    ];
    for (const bad of messages) expect(parseFromWalkPanel(bad), JSON.stringify(bad)).toBeUndefined();
    const states = [
      null,
      'x',
      {},
      { walked: null },
      { walked: 'file:///w/a.ts' },
      { walked: { uri: 'a.ts', offset: 1 } },
      { walked: { uri: 'file:///w/a.ts', offset: 1.5 } },
    ];
    for (const bad of states) expect(parseRestoredWalk(bad), JSON.stringify(bad)).toBeUndefined();
  });
});

describe('parseExplainArgs', () => {
  it("accepts a hover link's and the side panel's arguments, and nothing more", () => {
    expect(parseExplainArgs({ uri: 'file:///w/a.ts', line: 4, extra: 'x' })).toEqual({ uri: 'file:///w/a.ts', line: 4 });
    expect(parseExplainArgs({ uri: 'untitled:Untitled-1', selection: { start: 0, end: 5 }, layer: 1, head: 2 })).toEqual({
      uri: 'untitled:Untitled-1',
      selection: { start: 0, end: 5 },
      layer: 1,
      head: 2,
    });
  });

  it('takes anything but a plain object as no arguments: the context menu passes the document URI', () => {
    class Uri {
      scheme = 'file';
      path = '/w/a.ts';
    }
    expect(parseExplainArgs(new Uri())).toEqual({});
    expect(parseExplainArgs(undefined)).toEqual({});
  });

  it('refuses malformed arguments instead of guessing', () => {
    for (const bad of [
      { uri: 7 },
      { uri: 'not a uri' },
      { line: -1 },
      { line: 1.5 },
      { selection: { start: 4, end: 2 } },
      { layer: 1 },
      { layer: 1, head: 5000 },
    ]) {
      expect(parseExplainArgs(bad)).toBeUndefined();
    }
  });
});

describe('parseFromGpuView', () => {
  const float32 = (values: number[]) => ({ type: 'float32', dims: [values.length], data: Float32Array.from(values).buffer });

  it('accepts adapters, failures and replies whose tensors hold the bytes their dims describe', () => {
    expect(parseFromGpuView({ type: 'adapter', adapter: null, reason: 'none' })).toEqual({ type: 'adapter', adapter: null, reason: 'none' });
    expect(parseFromGpuView({ type: 'reply', id: 3, ok: true, session: 1 })).toEqual({ type: 'reply', id: 3, ok: true, session: 1 });
    const reply = parseFromGpuView({
      type: 'reply',
      id: 4,
      ok: true,
      outputs: { logits: float32([1, 2]), ids: { type: 'int64', dims: [1, 1], data: new ArrayBuffer(8) } },
    });
    expect(reply).toMatchObject({ type: 'reply', id: 4, ok: true, outputs: { logits: { type: 'float32', dims: [2] }, ids: { type: 'int64', dims: [1, 1] } } });
    expect(parseFromGpuView({ type: 'reply', id: 5, ok: false, message: 'x'.repeat(10_000) })).toMatchObject({ ok: false, message: 'x'.repeat(2000) });
  });

  it('fails a reply whose tensors are not what they claim, instead of allocating what they say', () => {
    const unreadable = { type: 'reply', id: 4, ok: false, message: expect.stringContaining('cannot be read') };
    for (const outputs of [
      { logits: { type: 'float32', dims: [2_000_000_000], data: 2_000_000_000 } },
      { logits: { type: 'float32', dims: [3], data: new ArrayBuffer(8) } },
      { logits: { type: 'float32', dims: [2], data: new Float32Array(2) } },
      { logits: { type: 'float64', dims: [1], data: new ArrayBuffer(8) } },
      { logits: { type: 'float32', dims: [-1], data: new ArrayBuffer(0) } },
      { logits: { type: 'toString', dims: [], data: new ArrayBuffer(0) } },
      [float32([1])],
    ]) {
      expect(parseFromGpuView({ type: 'reply', id: 4, ok: true, outputs })).toEqual(unreadable);
    }
    expect(parseFromGpuView({ type: 'reply', id: 4, ok: true, session: 'one' })).toEqual(unreadable);
    expect(parseFromGpuView({ type: 'reply', id: 4, ok: false, message: { text: 'x' } })).toEqual(unreadable);
  });

  it('drops messages with no usable id or of no known type', () => {
    for (const bad of [
      null,
      'reply',
      { type: 'reply', id: '4', ok: true },
      { type: 'reply', id: -1, ok: true },
      { type: 'evil' },
      { type: 'adapter', adapter: { vendor: 1 } },
    ]) {
      expect(parseFromGpuView(bad)).toBeUndefined();
    }
  });

  it('keeps an output named __proto__ an output', () => {
    const outputs = JSON.parse('{"__proto__": {"type": "float32", "dims": [0]}}') as Record<string, Record<string, unknown>>;
    // biome-ignore lint/suspicious/noProto: an own property named __proto__ is what this test is about
    outputs.__proto__.data = new ArrayBuffer(0);
    const reply = parseFromGpuView({ type: 'reply', id: 1, ok: true, outputs });
    expect(reply?.type === 'reply' && reply.ok && Object.keys(reply.outputs!)).toEqual(['__proto__']);
  });
});

describe('answersGpuRequest', () => {
  const run: ToGpuView = { type: 'run', id: 2, session: 1, feeds: {}, fetches: ['logits', 'prob'] };
  const tensor = { type: 'float32' as const, dims: [0], data: new ArrayBuffer(0) };

  it('matches a reply to the kind of request it answers', () => {
    expect(answersGpuRequest({ type: 'create', id: 1, externalData: [] }, { type: 'reply', id: 1, ok: true, session: 1 })).toBe(true);
    expect(answersGpuRequest(run, { type: 'reply', id: 2, ok: true, outputs: { logits: tensor, prob: tensor } })).toBe(true);
    expect(answersGpuRequest({ type: 'release', id: 3, session: 1 }, { type: 'reply', id: 3, ok: true })).toBe(true);
  });

  it('refuses a reply meant for another kind of request, or with other outputs than fetched', () => {
    expect(answersGpuRequest({ type: 'create', id: 1, externalData: [] }, { type: 'reply', id: 1, ok: true })).toBe(false);
    expect(answersGpuRequest(run, { type: 'reply', id: 2, ok: true, session: 1 })).toBe(false);
    expect(answersGpuRequest(run, { type: 'reply', id: 2, ok: true, outputs: { logits: tensor } })).toBe(false);
    expect(answersGpuRequest(run, { type: 'reply', id: 2, ok: true, outputs: { logits: tensor, other: tensor } })).toBe(false);
    expect(answersGpuRequest({ type: 'release', id: 3, session: 1 }, { type: 'reply', id: 3, ok: true, session: 2 })).toBe(false);
  });
});
