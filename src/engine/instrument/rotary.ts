// Rotary position embeddings (RoPE): where a block's attention rotates q (and k) by an angle that
// grows with the position, and the numbers that say by how much. The angles are read from what
// the model applies, never from a formula: the rows of its cos/sin caches at the positions the
// operator uses (com.microsoft RotaryEmbedding, GroupQueryAttention's do_rotary), or the cos and
// sin tensors an unfused export multiplies q by (q·cos + rotate_half(q)·sin, torch's export of
// Hugging Face's Llama). Where the graph holds q both before and after the rotation, both are
// exposed too, so the step-by-step view can redo the rotation from the angles and compare.
//
// Everything here is built in the block hooks' If (deferred.ts), so it runs only when asked for.
import { intAttr, intsAttr, isOnnxDomain, type GraphIndex } from '../onnx/graph';
import { DataType, type NodeProto } from '../onnx/model';
import type { AttentionAnchor } from './attention';
import { PROJECTIONS } from './blocks';
import { Unavailable, type Deferred } from './deferred';
import type { Exposer } from './exposer';
import type { RotaryPlan } from './plan';

/** Nodes between q's rotation and where attention reads q that change neither its values' meaning nor its positions. */
const PASS_THROUGH = new Set(['Cast', 'Identity']);
/** How far back from attention's q the rotation is looked for. */
const MAX_STEPS = 12;
/** How far back from a multiplier of q a Cos or Sin is looked for. */
const MAX_ANGLE_DEPTH = 16;

/** [b, h, s, d] (heads first) or [b, s, h, d] (positions first): the unfused forms q is rotated in. */
type HeadLayout = 'bhsd' | 'bshd';

/** The rank of a tensor, from its declaration or the nodes that made it, where the graph tells. */
function rankOf(index: GraphIndex, name: string, depth = 0): number | undefined {
  const declared = index.staticShape(name);
  if (declared) return declared.length;
  const p = index.producer(name);
  if (!p || depth > 32) return undefined;
  const { node } = p;
  if (node.opType === 'Reshape') return index.constantValues(node.input[1])?.length;
  if (node.opType === 'Transpose') return intsAttr(node, 'perm')?.length;
  if (node.opType === 'Gather') {
    const [data, indices] = [rankOf(index, node.input[0], depth + 1), rankOf(index, node.input[1], depth + 1)];
    return data !== undefined && indices !== undefined ? data + indices - 1 : undefined;
  }
  if (
    PROJECTIONS.has(node.opType) ||
    [
      'Add',
      'Sub',
      'Mul',
      'Div',
      'Cast',
      'Identity',
      'LayerNormalization',
      'SimplifiedLayerNormalization',
      'SkipLayerNormalization',
      'SkipSimplifiedLayerNormalization',
      'RotaryEmbedding',
    ].includes(node.opType)
  ) {
    return rankOf(index, node.input[0], depth + 1);
  }
  return undefined;
}

/** The input of a Mul or Div by a constant (a scale applied to q), else undefined. */
function unscaled(index: GraphIndex, node: NodeProto): string | undefined {
  if ((node.opType !== 'Mul' && node.opType !== 'Div') || !isOnnxDomain(node.domain)) return undefined;
  const [a, b] = node.input;
  if (index.isConstant(b)) return a;
  if (node.opType === 'Mul' && index.isConstant(a)) return b;
  return undefined;
}

/** x[b, s, ...] from a [b, h, s, d] or [b, s, h, d] tensor, as [b, s, h·d]: one row per position. */
function positionRows(exposer: Exposer, x: string, layout: HeadLayout): string {
  const em = exposer.em;
  const bshd = layout === 'bhsd' ? em.op1('Transpose', [x], { perm: [0, 2, 1, 3] }) : x;
  return em.reshape(bshd, em.ints([0, 0, -1]));
}

/** com.microsoft RotaryEmbedding: the rows of its caches at the operator's own position ids. */
function rotaryEmbedding(index: GraphIndex, exposer: Exposer, deferred: Deferred, node: NodeProto): RotaryPlan {
  const em = exposer.em;
  const [input, positionIds, cosCache, sinCache] = node.input;
  if (!input || !positionIds || !cosCache || !sinCache) throw new Unavailable('its RotaryEmbedding node lacks an input');
  // The kernel takes [b, s, hidden] or [b, heads, s, head_size]; exporters feed the first.
  const rank = rankOf(index, input) ?? 3;
  if (rank !== 3 && rank !== 4) throw new Unavailable(`its RotaryEmbedding rotates a tensor of rank ${rank}`);
  let positions: string | undefined;
  // The cache rows the operator reads for the (single) sequence: position_ids [b, s], or [1], the first position.
  const rows = (cache: string) => {
    if (!positions) {
      const zero = em.scalar(0, DataType.INT64);
      const s = em.squeeze(em.dim(input, rank === 4 ? 2 : 1), [0]);
      const flat = em.reshape(positionIds, em.ints([-1]));
      const fromFirst = em.op1('Add', [em.op1('Range', [zero, s, em.scalar(1, DataType.INT64)]), em.slice(flat, [0], [1], [0])]);
      const single = em.op1('Equal', [em.op1('Size', [positionIds]), em.scalar(1, DataType.INT64)]);
      positions = em.op1('Where', [single, fromFirst, flat]);
    }
    return em.op1('Gather', [cache, positions], { axis: 0 }); // [s, rotary_dim / 2]
  };
  const q = (x: string) => (rank === 3 ? deferred.model(x) : deferred.computed(() => positionRows(exposer, x, 'bhsd'), index.elemType(x) ?? DataType.FLOAT));
  const heads = intAttr(node, 'num_heads', 0);
  return {
    op: 'RotaryEmbedding',
    pairing: intAttr(node, 'interleaved', 0) === 1 ? 'interleaved' : 'half',
    ...(heads > 0 ? { heads } : {}),
    cos: deferred.computed(() => rows(cosCache), index.elemType(cosCache) ?? DataType.FLOAT),
    sin: deferred.computed(() => rows(sinCache), index.elemType(sinCache) ?? DataType.FLOAT),
    qIn: q(input),
    qOut: q(node.output[0]),
  };
}

/** Concat(−x[.., half:], x[.., :half]) along the last axis: the `rotate_half(x)` of Hugging Face's rotary; x, or undefined. */
function rotateHalfOf(index: GraphIndex, name: string): string | undefined {
  const p = index.producer(name);
  if (p?.node.opType !== 'Concat' || p.node.input.length !== 2) return undefined;
  const [negated, first] = p.node.input;
  const neg = index.producer(negated);
  if (neg?.node.opType !== 'Neg') return undefined;
  const second = index.producer(neg.node.input[0]);
  const firstSlice = index.producer(first);
  if (!second || !firstSlice || second.node.opType !== 'Slice' || firstSlice.node.opType !== 'Slice') return undefined;
  const x = second.node.input[0];
  return firstSlice.node.input[0] === x ? x : undefined;
}

/** The unfused form, Add(Mul(x, cos), Mul(rotate_half(x), sin)), made by `add`: x, cos and sin. */
function unfusedRotation(index: GraphIndex, add: NodeProto): { x: string; cos: string; sin: string } | undefined {
  if (add.opType !== 'Add' || !isOnnxDomain(add.domain)) return undefined;
  const muls = add.input.map((t) => index.producer(t)?.node);
  if (muls.some((m) => m?.opType !== 'Mul' || !isOnnxDomain(m.domain))) return undefined;
  for (const [plain, rotated] of [muls, [...muls].reverse()] as NodeProto[][]) {
    for (const slot of [0, 1]) {
      const x = rotateHalfOf(index, rotated.input[slot]);
      if (!x || !plain.input.includes(x)) continue;
      const cos = plain.input.find((t) => t !== x) ?? x;
      return { x, cos, sin: rotated.input[1 - slot] };
    }
  }
  return undefined;
}

/** Whether a Cos or Sin node computes `name`, not looking past the stream (the angles are computed beside it). */
function fromCosOrSin(index: GraphIndex, name: string, stream: string): boolean {
  const stack: [string, number][] = [[name, 0]];
  const seen = new Set<string>();
  while (stack.length) {
    const [t, depth] = stack.pop()!;
    if (seen.has(t) || t === stream || depth > MAX_ANGLE_DEPTH) continue;
    seen.add(t);
    const p = index.producer(t);
    if (!p) continue;
    if ((p.node.opType === 'Cos' || p.node.opType === 'Sin') && isOnnxDomain(p.node.domain)) return true;
    for (const input of p.node.input) if (input && !index.isConstant(input)) stack.push([input, depth + 1]);
  }
  return false;
}

/**
 * Back from the q attention reads to its rotation, through casts, scales and the head split: a
 * RotaryEmbedding node, or the unfused form with the layout of its x.
 */
function findRotation(index: GraphIndex, q: string, layout: HeadLayout | 'bsD'): { node: NodeProto } | { add: NodeProto; layout: HeadLayout } | undefined {
  let current = q;
  let shape = layout;
  for (let step = 0; step < MAX_STEPS; step++) {
    const p = index.producer(current);
    if (!p) return undefined;
    const { node } = p;
    if (node.opType === 'RotaryEmbedding' && node.domain === 'com.microsoft') return { node };
    if (shape !== 'bsD' && unfusedRotation(index, node)) return { add: node, layout: shape };
    const scaled = unscaled(index, node);
    if (scaled) current = scaled;
    else if (PASS_THROUGH.has(node.opType)) current = node.input[0];
    else if (node.opType === 'Transpose' && intsAttr(node, 'perm')?.join(',') === '0,2,1,3' && shape !== 'bsD') {
      shape = shape === 'bhsd' ? 'bshd' : 'bhsd';
      current = node.input[0];
    } else if (node.opType === 'Reshape' && shape !== 'bhsd') {
      // [b, s, h, d] ↔ [b, s, h·d]: the positions stay where they are.
      shape = index.constantValues(node.input[1])?.length === 4 ? 'bshd' : 'bsD';
      current = node.input[0];
    } else return undefined;
  }
  return undefined;
}

/** The q that a block's attention reads, and its layout, where the rotation is looked for. */
function attentionQuery(anchor: AttentionAnchor): { q: string; layout: HeadLayout | 'bsD' } | undefined {
  if (anchor.kind === 'softmax') return { q: anchor.scores.input[0], layout: 'bhsd' };
  if (anchor.kind === 'fused' && anchor.node.opType !== 'Attention' && anchor.node.input[0]) return { q: anchor.node.input[0], layout: 'bsD' };
  return undefined;
}

/**
 * The rotation of a block's q, or undefined where the block has none. Throws Unavailable where q
 * is rotated (an operator says so, or Cos/Sin of angles multiply it) in a way that cannot be read.
 */
export function findRotary(
  index: GraphIndex,
  exposer: Exposer,
  deferred: Deferred,
  anchor: AttentionAnchor | undefined,
  stream: string,
): RotaryPlan | undefined {
  if (!anchor || anchor.kind === 'unknown') return undefined;
  const em = exposer.em;
  const node = anchor.kind === 'fused' ? anchor.node : undefined;
  if (node && intAttr(node, 'do_rotary', 0)) {
    if (node.opType !== 'GroupQueryAttention') throw new Unavailable(`${node.opType} rotates q and k inside the operator, which Model Lens does not recompute`);
    const [query, , , , , , , cosCache, sinCache] = node.input;
    if (!cosCache || !sinCache) throw new Unavailable('GroupQueryAttention rotates without cos/sin caches');
    let positions: string | undefined;
    // Positions 0..s − 1, as the engine's recomputation of the operator (checked against its output) reads them.
    const rows = (cache: string) => {
      positions ??= em.op1('Range', [em.scalar(0, DataType.INT64), em.squeeze(em.dim(query, 1), [0]), em.scalar(1, DataType.INT64)]);
      return em.op1('Gather', [cache, positions], { axis: 0 });
    };
    return {
      op: 'GroupQueryAttention',
      pairing: intAttr(node, 'rotary_interleaved', 0) === 1 ? 'interleaved' : 'half',
      cos: deferred.computed(() => rows(cosCache), index.elemType(cosCache) ?? DataType.FLOAT),
      sin: deferred.computed(() => rows(sinCache), index.elemType(sinCache) ?? DataType.FLOAT),
    };
  }
  const start = attentionQuery(anchor);
  if (!start) return undefined;
  const found = findRotation(index, start.q, start.layout);
  if (found && 'node' in found) return rotaryEmbedding(index, exposer, deferred, found.node);
  if (found) {
    const { x, cos, sin } = unfusedRotation(index, found.add)!;
    const { layout } = found;
    const type = index.elemType(x) ?? DataType.FLOAT;
    // cos and sin broadcast against x: expanded to its shape, head 0's first half is one value per frequency.
    const perFrequency = (t: string) => () => {
      const expanded = em.op1('Expand', [t, em.op1('Shape', [x])]);
      const rows = layout === 'bhsd' ? em.op1('Transpose', [expanded], { perm: [0, 2, 1, 3] }) : expanded;
      const half = em.op1('Div', [em.dim(x, 3), em.ints([2])]);
      const firstHead = em.op1('Slice', [rows, em.ints([0, 0]), em.op1('Concat', [em.ints([1]), half], { axis: 0 }), em.ints([2, 3])]);
      return em.reshape(firstHead, em.ints([0, 0, -1]));
    };
    return {
      op: 'ONNX arithmetic',
      pairing: 'half',
      cos: deferred.computed(perFrequency(cos), index.elemType(cos) ?? type),
      sin: deferred.computed(perFrequency(sin), index.elemType(sin) ?? type),
      qIn: deferred.computed(() => positionRows(exposer, x, layout), type),
      qOut: deferred.computed(() => positionRows(exposer, found.add.output[0], layout), index.elemType(found.add.output[0]) ?? type),
    };
  }
  // No rotation found: say so where angles computed by Cos/Sin still multiply something on q's way.
  const onTheWay = index.nodesBetween(stream, start.q).filter((n) => n.opType === 'Mul');
  if (onTheWay.some((n) => n.input.some((i) => i && !index.dependsOn(i, stream) && fromCosOrSin(index, i, stream)))) {
    throw new Unavailable(
      'q is multiplied by the Cos/Sin of angles, but not in the form q·cos + rotate_half(q)·sin that Model Lens reads, so the rotation angles are not shown',
    );
  }
  return undefined;
}
