// Recomputes the attention pattern of ONNX Runtime's fused attention operators from what enters
// them, with the operator's own scale, causal mask, sliding window, soft-capping, sinks and
// rotary embedding. The pattern never exists inside a fused operator, so the engine rebuilds
// softmax(QKᵀ·scale + masks) next to it; the worker checks the result against the operator's
// own output (A·V must reproduce it) before showing it.
//
// The engine always feeds one unpadded sequence with an empty KV cache, so padding masks are
// all ones and past lengths are zero: those inputs cannot change the pattern and are not read.
import { floatAttr, intAttr, intsAttr, type GraphIndex } from '../onnx/graph';
import { DataType, type NodeProto } from '../onnx/model';
import type { Emitter } from '../onnx/emit';
import type { AttentionExposures } from './plan';
import type { Exposer } from './exposer';

export const RECOMPUTABLE = new Set(['Attention', 'MultiHeadAttention', 'GroupQueryAttention']);

/** The most negative finite value of a float type: masks fill with it so softmax gives exactly 0. */
function lowest(type: DataType): number {
  return type === DataType.FLOAT16 ? -65504 : -3.4028234663852886e38;
}

interface ScoreOptions {
  /** Fixed scale, or undefined for 1/√d_head computed from Q's last dimension. */
  scale?: number;
  causal: boolean;
  /** Sliding window: how many keys, the query's own included, each query sees (when ≥ 0). */
  window: number;
  softcap: number;
  attentionBias?: string;
  /** Per-head extra logit in the softmax denominator (smooth softmax uses 0 for every head). */
  sink?: string | 'zero';
}

class Unavailable extends Error {}

/** softmax(Q·Kᵀ·scale + masks) for Q [b, h, s, d] and K [b, h, t, d]: the pattern [b, h, s, t]. */
function attentionPattern(em: Emitter, q: string, k: string, type: DataType, options: ScoreOptions): string {
  const kT = em.op1('Transpose', [k], { perm: [0, 1, 3, 2] });
  let scores = em.op1('MatMul', [q, kT]);
  const scale = options.scale ? em.scalar(options.scale, type) : headScale(em, q, type);
  scores = em.op1('Mul', [scores, scale]);
  if (options.softcap > 0) {
    const cap = em.scalar(options.softcap, type);
    scores = em.op1('Mul', [em.op1('Tanh', [em.op1('Div', [scores, cap])]), cap]);
  }
  if (options.attentionBias) scores = em.op1('Add', [scores, options.attentionBias]);
  if (options.causal || options.window >= 0) scores = applyCausalMask(em, scores, type, options);
  if (!options.sink) return em.op1('Softmax', [scores], { axis: 3 });
  // A sink is one more logit per row that takes probability mass but has no value vector.
  const zeroColumn = em.op1('Mul', [em.slice(scores, [0], [1], [3]), em.scalar(0, type)]);
  const sinkColumn = options.sink === 'zero' ? zeroColumn : em.op1('Add', [zeroColumn, em.reshape(options.sink, em.ints([1, -1, 1, 1]))]);
  const withSink = em.op1('Softmax', [em.op1('Concat', [scores, sinkColumn], { axis: 3 })], { axis: 3 });
  const keys = em.dim(scores, 3);
  return em.op1('Slice', [withSink, em.ints([0]), keys, em.ints([3])]);
}

/** 1/√d_head as a tensor of the model's float type, from Q's last dimension. */
function headScale(em: Emitter, q: string, type: DataType): string {
  const d = em.cast(em.dim(q, 3), DataType.FLOAT);
  const scale = em.op1('Reciprocal', [em.op1('Sqrt', [d])]);
  return type === DataType.FLOAT ? scale : em.cast(scale, type);
}

/** Masks keys after the query (causal) and, with a window, keys too far before it. */
function applyCausalMask(em: Emitter, scores: string, type: DataType, options: ScoreOptions): string {
  const s = em.squeeze(em.dim(scores, 2), [0]);
  const t = em.squeeze(em.dim(scores, 3), [0]);
  const zero = em.scalar(0, DataType.INT64);
  const one = em.scalar(1, DataType.INT64);
  // Query i sits at absolute position i + (t - s) when a cache precedes it.
  const rows = em.unsqueeze(em.op1('Add', [em.op1('Range', [zero, s, one]), em.op1('Sub', [t, s])]), [1]);
  const cols = em.unsqueeze(em.op1('Range', [zero, t, one]), [0]);
  let masked = em.op1('Greater', [cols, rows]);
  if (options.window >= 0) {
    // A query sees itself and the window − 1 keys before it, as ONNX Runtime 1.30 and
    // Hugging Face's sliding window do (older kernels saw one more; the check would say so).
    const tooOld = em.op1('Less', [cols, em.op1('Sub', [rows, em.scalar(options.window - 1, DataType.INT64)])]);
    masked = em.op1('Or', [masked, tooOld]);
  }
  return em.op1('Where', [masked, em.scalar(lowest(type), type), scores]);
}

/** [b, s, h·d] → [b, h, s, d]. */
function splitHeads(em: Emitter, x: string, heads: number): string {
  return em.op1('Transpose', [em.reshape(x, em.ints([0, 0, heads, -1]))], { perm: [0, 2, 1, 3] });
}

/** Rank of a tensor when the graph tells it: declared, or from the op that made it. */
function staticRank(index: GraphIndex, name: string): number | undefined {
  const declared = index.staticShape(name);
  if (declared) return declared.length;
  const p = index.producer(name);
  if (!p) return undefined;
  if (p.node.opType === 'Reshape') return index.constantValues(p.node.input[1])?.length;
  if (p.node.opType === 'Transpose') return intsAttr(p.node, 'perm')?.length;
  if (['RotaryEmbedding', 'Add', 'Cast', 'Identity', 'Mul'].includes(p.node.opType)) return staticRank(index, p.node.input[0]);
  return undefined;
}

/** The com.microsoft Attention operator (GPT-2 and BERT exports of ONNX Runtime's optimizer). */
function recomputeAttention(index: GraphIndex, exposer: Exposer, node: NodeProto, type: DataType): AttentionExposures {
  const em = exposer.em;
  if (intAttr(node, 'do_rotary', 0)) throw new Unavailable('it applies rotary embeddings inside the operator');
  const heads = intAttr(node, 'num_heads', 0);
  const [input, weights, bias, , , attentionBias] = node.input;
  const weightShape = index.staticShape(weights);
  const sizes = intsAttr(node, 'qkv_hidden_sizes') ?? (typeof weightShape?.[1] === 'number' ? Array(3).fill(weightShape[1] / 3) : undefined);
  if (!heads || !sizes) throw new Unavailable('its Q/K/V sizes cannot be read from the graph');
  let qkv = em.op1('MatMul', [input, weights]);
  if (bias) qkv = em.op1('Add', [qkv, bias]);
  const [q, k, v] = em.split(qkv, 2, sizes).map((x) => splitHeads(em, x, heads));
  const scale = floatAttr(node, 'scale', 0);
  const pattern = attentionPattern(em, q, k, type, {
    scale: scale || 1 / Math.sqrt(sizes[0] / heads),
    causal: intAttr(node, 'unidirectional', 0) === 1,
    window: -1,
    softcap: 0,
    attentionBias: attentionBias || undefined,
  });
  return exposures(exposer, node, type, heads, pattern, q, k, v, 'Attention with packed Q/K/V weights');
}

/** com.microsoft MultiHeadAttention: Q, K, V already projected (and rotated, when RoPE is used). */
function recomputeMultiHeadAttention(index: GraphIndex, exposer: Exposer, node: NodeProto, type: DataType): AttentionExposures {
  const em = exposer.em;
  const heads = intAttr(node, 'num_heads', 0);
  const [query, key, value, bias, , attentionBias, pastKey] = node.input;
  if (!heads) throw new Unavailable('it has no num_heads attribute');
  if (pastKey && !index.inputs.has(pastKey)) throw new Unavailable('its past key/value are computed inside the graph');
  let q: string;
  let k: string;
  let v: string;
  const queryRank = staticRank(index, query) ?? 3;
  if (!key) {
    if (queryRank !== 5) throw new Unavailable('its query has no key and is not packed Q/K/V');
    // Packed QKV [b, s, h, 3, d].
    [q, k, v] = em.split(query, 3, [1, 1, 1]).map((x) => em.op1('Transpose', [em.squeeze(x, [3])], { perm: [0, 2, 1, 3] }));
  } else {
    const keyRank = staticRank(index, key) ?? 3;
    let qIn = query;
    let kIn = key;
    let vIn = value;
    if (bias) {
      if (keyRank !== 3) throw new Unavailable('it adds a bias to keys given per head');
      const biasShape = index.staticShape(bias);
      if (typeof biasShape?.[0] !== 'number') throw new Unavailable('its bias size cannot be read from the graph');
      const third = biasShape[0] / 3;
      const [bq, bk, bv] = em.split(bias, 0, [third, third, third]);
      qIn = em.op1('Add', [query, bq]);
      kIn = em.op1('Add', [key, bk]);
      vIn = em.op1('Add', [value, bv]);
    }
    q = splitHeads(em, qIn, heads);
    if (keyRank === 5) {
      [k, v] = em.split(key, 3, [1, 1]).map((x) => em.op1('Transpose', [em.squeeze(x, [3])], { perm: [0, 2, 1, 3] }));
    } else if (keyRank === 4) {
      k = kIn;
      v = vIn;
    } else {
      k = splitHeads(em, kIn, heads);
      v = splitHeads(em, vIn, heads);
    }
  }
  const pattern = attentionPattern(em, q, k, type, {
    scale: floatAttr(node, 'scale', 0) || undefined,
    causal: intAttr(node, 'unidirectional', 0) === 1,
    window: -1,
    softcap: 0,
    attentionBias: attentionBias || undefined,
  });
  return exposures(exposer, node, type, heads, pattern, q, k, v, 'MultiHeadAttention');
}

/** Rotary embedding of x [b, s, h, d] at positions 0..s-1, as GroupQueryAttention applies it. */
function rotary(index: GraphIndex, em: Emitter, x: string, cosCache: string, sinCache: string, interleaved: boolean): string {
  const cacheShape = index.staticShape(cosCache);
  const half = cacheShape?.[1];
  if (typeof half !== 'number') throw new Unavailable('its rotary cos/sin caches are not constants of known size');
  const positions = em.op1('Range', [em.scalar(0, DataType.INT64), em.squeeze(em.dim(x, 1), [0]), em.scalar(1, DataType.INT64)]);
  const gather = (cache: string) => em.op1('Gather', [cache, positions], { axis: 0 }); // [s, half]
  const rot = em.slice(x, [0], [2 * half], [3]);
  const pass = em.slice(x, [2 * half], [2 ** 31 - 1], [3]);
  let rotated: string;
  if (interleaved) {
    // Pairs (x[2i], x[2i+1]) are rotated together.
    const cos = em.unsqueeze(gather(cosCache), [0, 2, 4]); // [1, s, 1, half, 1]
    const sin = em.unsqueeze(gather(sinCache), [0, 2, 4]);
    const pairs = em.reshape(rot, em.ints([0, 0, 0, half, 2]));
    const [x1, x2] = em.split(pairs, 4, [1, 1]);
    const o1 = em.op1('Sub', [em.op1('Mul', [x1, cos]), em.op1('Mul', [x2, sin])]);
    const o2 = em.op1('Add', [em.op1('Mul', [x2, cos]), em.op1('Mul', [x1, sin])]);
    rotated = em.reshape(em.op1('Concat', [o1, o2], { axis: 4 }), em.ints([0, 0, 0, 2 * half]));
  } else {
    // The first half of the rotated dimensions pairs with the second half.
    const cos = em.unsqueeze(gather(cosCache), [0, 2]); // [1, s, 1, half]
    const sin = em.unsqueeze(gather(sinCache), [0, 2]);
    const [x1, x2] = em.split(rot, 3, [half, half]);
    const o1 = em.op1('Sub', [em.op1('Mul', [x1, cos]), em.op1('Mul', [x2, sin])]);
    const o2 = em.op1('Add', [em.op1('Mul', [x2, cos]), em.op1('Mul', [x1, sin])]);
    rotated = em.op1('Concat', [o1, o2], { axis: 3 });
  }
  return em.op1('Concat', [rotated, pass], { axis: 3 });
}

/** com.microsoft GroupQueryAttention: fewer K/V heads than Q heads, causal, optionally rotary. */
function recomputeGroupQueryAttention(index: GraphIndex, exposer: Exposer, node: NodeProto, type: DataType): AttentionExposures {
  const em = exposer.em;
  const heads = intAttr(node, 'num_heads', 0);
  const kvHeads = intAttr(node, 'kv_num_heads', 0);
  const [query, key, value, , , , , cosCache, sinCache, , attentionBias, headSink, , , qNorm] = node.input;
  if (!heads || !kvHeads || heads % kvHeads) throw new Unavailable('its num_heads / kv_num_heads attributes are missing or inconsistent');
  if (qNorm) throw new Unavailable('it applies a Q/K RMS norm inside the operator');
  // Work in [b, s, heads, d] until rotary is applied, as the operator does.
  let q: string;
  let k: string;
  let v: string;
  if (!key) {
    const packed = em.reshape(query, em.ints([0, 0, heads + 2 * kvHeads, -1]));
    [q, k, v] = em.split(packed, 2, [heads, kvHeads, kvHeads]);
  } else {
    q = em.reshape(query, em.ints([0, 0, heads, -1]));
    k = em.reshape(key, em.ints([0, 0, kvHeads, -1]));
    v = em.reshape(value, em.ints([0, 0, kvHeads, -1]));
  }
  if (intAttr(node, 'do_rotary', 0)) {
    if (!cosCache || !sinCache) throw new Unavailable('it rotates without cos/sin caches');
    const interleaved = intAttr(node, 'rotary_interleaved', 0) === 1;
    q = rotary(index, em, q, cosCache, sinCache, interleaved);
    k = rotary(index, em, k, cosCache, sinCache, interleaved);
  }
  const toHeadsFirst = (x: string) => em.op1('Transpose', [x], { perm: [0, 2, 1, 3] });
  q = toHeadsFirst(q);
  // Each K/V head serves heads / kvHeads query heads: repeat it that many times, in order.
  const repeat = (x: string) => {
    const group = heads / kvHeads;
    if (group === 1) return x;
    const tiled = em.op1('Tile', [em.unsqueeze(x, [2]), em.ints([1, 1, group, 1, 1])]);
    return em.reshape(tiled, em.shapeOf([em.dim(x, 0), heads, em.dim(x, 2), em.dim(x, 3)]));
  };
  k = repeat(toHeadsFirst(k));
  v = repeat(toHeadsFirst(v));
  const pattern = attentionPattern(em, q, k, type, {
    scale: floatAttr(node, 'scale', 0) || undefined,
    causal: intAttr(node, 'causal', 1) === 1,
    window: intAttr(node, 'local_window_size', -1),
    softcap: floatAttr(node, 'softcap', 0),
    attentionBias: attentionBias || undefined,
    sink: headSink || (intAttr(node, 'smooth_softmax', 0) ? 'zero' : undefined),
  });
  return exposures(exposer, node, type, heads, pattern, q, k, v, `GroupQueryAttention (${heads} query heads, ${kvHeads} key/value heads)`);
}

function exposures(
  exposer: Exposer,
  node: NodeProto,
  type: DataType,
  heads: number,
  pattern: string,
  q: string,
  k: string,
  v: string,
  detail: string,
): AttentionExposures {
  return {
    source: { kind: 'recomputed', op: node.opType, detail },
    pattern: exposer.expose(pattern, undefined, undefined, type),
    q: exposer.expose(q, 'bhsd', undefined, type),
    k: exposer.expose(k, 'bhsd', undefined, type),
    v: exposer.expose(v, 'bhsd', undefined, type),
    z: exposer.expose(node.output[0], 'bsD', heads),
  };
}

export function recomputeFusedAttention(index: GraphIndex, exposer: Exposer, node: NodeProto): AttentionExposures {
  const type = index.elemType(node.input[0]) ?? DataType.FLOAT;
  const mark = exposer.em.mark();
  try {
    switch (node.opType) {
      case 'Attention':
        return recomputeAttention(index, exposer, node, type);
      case 'MultiHeadAttention':
        return recomputeMultiHeadAttention(index, exposer, node, type);
      default:
        return recomputeGroupQueryAttention(index, exposer, node, type);
    }
  } catch (e) {
    if (!(e instanceof Unavailable)) throw e;
    exposer.em.rollback(mark);
    return { source: { kind: 'unavailable', reason: `com.microsoft.${node.opType} cannot be recomputed: ${e.message}` } };
  }
}
