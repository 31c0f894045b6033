// The `show` message's buffers as typed arrays, checked against the shapes the protocol states,
// and the one place that answers "which [query, key] matrix is layer L, head choice H".
import type { AttentionSource } from '../../src/engine/types';
import type { HeadScores } from '../../src/engine/headScores';
import type { AttentionView, HeadChoice, HeadDetail } from '../../src/protocol';
import { headMatrix, layerRow, meanOverHeads } from './aggregate';

/** A Float32Array over an ArrayBuffer (or a view of one, should a host send that instead). */
export function floats(data: unknown): Float32Array | undefined {
  if (data instanceof Float32Array) return data;
  if (data instanceof ArrayBuffer) return data.byteLength % 4 === 0 ? new Float32Array(data) : undefined;
  if (ArrayBuffer.isView(data) && data.byteLength % 4 === 0) {
    // The offset may not be 4-aligned inside a shared buffer: copy then.
    return data.byteOffset % 4 === 0 ? new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4) : new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
  }
  return undefined;
}

export interface LayerData {
  source: AttentionSource;
  /** [head, query, key] */
  pattern?: Float32Array;
  scores?: HeadScores[];
}

export class ViewData {
  readonly view: AttentionView;
  readonly layers: LayerData[];
  /** [layer, query, key] */
  readonly rollout?: Float32Array;
  /** Number of analysed tokens = keys of every pattern. */
  readonly keys: number;
  private readonly means = new Map<number, Float32Array>();

  constructor(view: AttentionView) {
    this.view = view;
    this.keys = view.tokens.length;
    const { heads } = view.model;
    const expect = heads * view.queryCount * this.keys;
    this.layers = Array.from({ length: view.model.layers }, (_, L) => {
      const layer = view.layers[L];
      if (!layer) return { source: { kind: 'unavailable', reason: 'The host sent no data for this layer.' } };
      const pattern = layer.pattern === undefined ? undefined : floats(layer.pattern);
      if (layer.source.kind !== 'unavailable' && (!pattern || pattern.length !== expect)) {
        const got = pattern ? pattern.length : 0;
        return { source: { kind: 'unavailable', reason: `The attention pattern has ${got} values; ${heads} heads × ${view.queryCount} queries × ${this.keys} keys = ${expect} were expected.` } };
      }
      return { source: layer.source, pattern, scores: layer.scores };
    });
    const rollout = view.rollout === undefined ? undefined : floats(view.rollout);
    this.rollout = rollout && rollout.length === view.model.layers * view.queryCount * this.keys ? rollout : undefined;
  }

  get queryStart(): number {
    return this.view.queryStart;
  }

  get queryCount(): number {
    return this.view.queryCount;
  }

  hasAttention(layer: number): boolean {
    return !!this.layers[layer]?.pattern;
  }

  /** [query, key] for the choice, or undefined when that layer has no attention. */
  matrix(layer: number, head: HeadChoice): Float32Array | undefined {
    const { heads } = this.view.model;
    const q = this.view.queryCount;
    if (head === 'rollout') return this.rollout ? layerRow(this.rollout, layer, q, this.keys) : undefined;
    const pattern = this.layers[layer]?.pattern;
    if (!pattern) return undefined;
    if (head === 'mean') {
      let m = this.means.get(layer);
      if (!m) {
        m = meanOverHeads(pattern, heads, q, this.keys);
        this.means.set(layer, m);
      }
      return m;
    }
    return head >= 0 && head < heads ? headMatrix(pattern, head, q, this.keys) : undefined;
  }
}

/** The detail's buffers as typed arrays, or a reason why they cannot be used. */
export interface DecodedDetail {
  detail: HeadDetail;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  z: Float32Array;
}

export function decodeDetail(detail: HeadDetail, positions: number): DecodedDetail | string {
  const q = floats(detail.q);
  const k = floats(detail.k);
  const v = floats(detail.v);
  const z = floats(detail.z);
  const n = positions * detail.dHead;
  for (const [name, t] of [['Q', q], ['K', k], ['V', v], ['z', z]] as const) {
    if (!t || t.length !== n) return `${name} has ${t ? t.length : 0} values; ${positions} tokens × ${detail.dHead} dims = ${n} were expected.`;
  }
  return { detail, q: q!, k: k!, v: v!, z: z! };
}
