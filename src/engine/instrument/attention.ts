// Finds the attention of one block inside its residual branch and decides how to expose it:
// an unfused Softmax is the pattern itself; a fused com.microsoft operator is recomputed from
// what enters it (see fusedAttention.ts); anything else is reported as unavailable, with why.
import { intsAttr, isOnnxDomain, type GraphIndex } from '../onnx/graph';
import type { NodeProto } from '../onnx/model';
import { recomputeFusedAttention, RECOMPUTABLE } from './fusedAttention';
import type { Exposer } from './exposer';
import type { AttentionExposures } from './plan';

export interface BranchNode {
  node: NodeProto;
  index: number;
}

export type AttentionAnchor =
  | { kind: 'softmax'; softmax: NodeProto; scores: NodeProto; av: NodeProto }
  | { kind: 'fused'; node: NodeProto }
  | { kind: 'unknown'; node: NodeProto };

const MATMULS = new Set(['MatMul', 'FusedMatMul']);
/** Elementwise steps between QKᵀ and the Softmax: scaling, masks, soft-capping. */
const SCORE_STEPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Where', 'Cast', 'Identity', 'Tanh', 'Reshape']);
/** Steps between the Softmax and A·V. */
const PATTERN_STEPS = new Set(['Cast', 'Identity', 'Dropout', 'Reshape']);

function isActivation(index: GraphIndex, name: string): boolean {
  return !!name && !index.isConstant(name);
}

/** The MatMul of two activations (QKᵀ) that a Softmax's input comes from, if any. */
function scoresMatMul(index: GraphIndex, softmaxInput: string): NodeProto | undefined {
  const queue: [string, number][] = [[softmaxInput, 0]];
  while (queue.length) {
    const [name, depth] = queue.shift()!;
    const p = index.producer(name);
    if (!p || depth > 8) continue;
    if (MATMULS.has(p.node.opType) && p.node.input.slice(0, 2).every((i) => isActivation(index, i))) return p.node;
    if (SCORE_STEPS.has(p.node.opType)) {
      for (const input of p.node.input) if (isActivation(index, input)) queue.push([input, depth + 1]);
    }
  }
  return undefined;
}

/** The MatMul that multiplies a Softmax's output with V, if any. */
function valueMatMul(index: GraphIndex, softmaxOutput: string): NodeProto | undefined {
  const queue = [softmaxOutput];
  for (let depth = 0; queue.length && depth < 16; depth++) {
    const name = queue.shift()!;
    for (const use of index.consumers(name)) {
      if (MATMULS.has(use.node.opType) && use.slot === 0 && isActivation(index, use.node.input[1])) return use.node;
      if (PATTERN_STEPS.has(use.node.opType)) queue.push(use.node.output[0]);
    }
  }
  return undefined;
}

export function findAttentionAnchor(index: GraphIndex, branch: BranchNode[]): AttentionAnchor | undefined {
  for (const { node } of branch) {
    if (node.domain === 'com.microsoft' && RECOMPUTABLE.has(node.opType)) return { kind: 'fused', node };
    if (/attention/i.test(node.opType)) return { kind: 'unknown', node };
  }
  for (const { node } of branch) {
    if (node.opType !== 'Softmax' || !isOnnxDomain(node.domain)) continue;
    const scores = scoresMatMul(index, node.input[0]);
    const av = scores && valueMatMul(index, node.output[0]);
    if (scores && av) return { kind: 'softmax', softmax: node, scores, av };
  }
  return undefined;
}

type HeadLayout = 'bhsd' | 'bshd' | 'bhds';
const SPLIT_HEADS = '0,2,1,3';

function transposePerm(node: NodeProto): string | undefined {
  return node.opType === 'Transpose' ? intsAttr(node, 'perm')?.join(',') : undefined;
}

/**
 * A [b, h, s, d] tensor in the [b, s, h, d] form the graph also holds, when it does: that form
 * is already TransformerLens' [pos, head, d_head] and needs no reordering after each run.
 */
function positionMajor(index: GraphIndex, name: string, layout: HeadLayout): { name: string; layout: HeadLayout } {
  if (layout !== 'bhsd') return { name, layout };
  const p = index.producer(name);
  if (p && transposePerm(p.node) === SPLIT_HEADS) return { name: p.node.input[0], layout: 'bshd' };
  const merge = index.consumers(name).find((use) => transposePerm(use.node) === SPLIT_HEADS);
  return merge ? { name: merge.node.output[0], layout: 'bshd' } : { name, layout };
}

/** Layout of the K operand of QKᵀ, looking through the transpose that made Kᵀ. */
function keyExposure(index: GraphIndex, kT: string): { name: string; layout: HeadLayout } {
  const p = index.producer(kT);
  const perm = p && transposePerm(p.node);
  if (perm === '0,1,3,2') return positionMajor(index, p!.node.input[0], 'bhsd');
  if (perm === '0,2,3,1') return { name: p!.node.input[0], layout: 'bshd' };
  return { name: kT, layout: 'bhds' };
}

export function exposeAttention(index: GraphIndex, exposer: Exposer, anchor: AttentionAnchor | undefined): AttentionExposures {
  if (!anchor) {
    return { source: { kind: 'unavailable', reason: 'no Softmax or fused attention operator was found in this block' } };
  }
  if (anchor.kind === 'unknown') {
    const op = `${anchor.node.domain ? `${anchor.node.domain}.` : ''}${anchor.node.opType}`;
    return { source: { kind: 'unavailable', reason: `the attention operator ${op} is not one Model Lens can recompute` } };
  }
  if (anchor.kind === 'fused') return recomputeFusedAttention(index, exposer, anchor.node);
  const heads = (t: { name: string; layout: HeadLayout }) => exposer.expose(t.name, t.layout);
  return {
    source: { kind: 'softmax' },
    pattern: exposer.expose(anchor.softmax.output[0]),
    q: heads(positionMajor(index, anchor.scores.input[0], 'bhsd')),
    k: heads(keyExposure(index, anchor.scores.input[1])),
    v: heads(positionMajor(index, anchor.av.input[1], 'bhsd')),
    z: heads(positionMajor(index, anchor.av.output[0], 'bhsd')),
  };
}
