// The `show` message's buffers as typed arrays, checked against the shapes the protocol states,
// with the layer and head choice's matrix (src/shared/attentionChoice.ts) and the means kept.
import type { AttentionSource } from '../../src/shared/modelInfo';
import type { HeadScores } from '../../src/shared/headScores';
import type { AttentionView, HeadChoice, HeadDetail } from '../../src/shared/protocol';
import { choiceMatrix } from '../../src/shared/attentionChoice';

/** A Float32Array over an ArrayBuffer (or a view of one, should a host send that instead). */
export function floats(data: unknown): Float32Array | undefined {
  if (data instanceof Float32Array) return data;
  if (data instanceof ArrayBuffer) return data.byteLength % 4 === 0 ? new Float32Array(data) : undefined;
  if (ArrayBuffer.isView(data) && data.byteLength % 4 === 0) {
    // The offset may not be 4-aligned inside a shared buffer: copy then.
    return data.byteOffset % 4 === 0
      ? new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4)
      : new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
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
        return {
          source: {
            kind: 'unavailable',
            reason: `The attention pattern has ${got} values; ${heads} heads × ${view.queryCount} queries × ${this.keys} keys = ${expect} were expected.`,
          },
        };
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

  /** Whether the model attends to later tokens too (an encoder): then no key is masked. */
  get bidirectional(): boolean {
    return this.view.model.bidirectional === true;
  }

  hasAttention(layer: number): boolean {
    return !!this.layers[layer]?.pattern;
  }

  /** [query, key] for the choice, or undefined when that layer has no attention. */
  matrix(layer: number, head: HeadChoice): Float32Array | undefined {
    const source = {
      pattern: this.layers[layer]?.pattern,
      rollout: this.rollout,
      heads: this.view.model.heads,
      queries: this.view.queryCount,
      keys: this.keys,
    };
    if (head !== 'mean') return choiceMatrix(source, layer, head);
    // The mean is a new matrix; every redraw of the layer would compute it again.
    const kept = this.means.get(layer);
    if (kept) return kept;
    const mean = choiceMatrix(source, layer, head);
    if (mean) this.means.set(layer, mean);
    return mean;
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
  for (const [name, t] of [
    ['Q', q],
    ['K', k],
    ['V', v],
    ['z', z],
  ] as const) {
    if (!t || t.length !== n) return `${name} has ${t ? t.length : 0} values; ${positions} tokens × ${detail.dHead} dims = ${n} were expected.`;
  }
  return { detail, q: q!, k: k!, v: v!, z: z! };
}
