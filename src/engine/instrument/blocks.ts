// Groups the writes to the residual stream into transformer blocks (a block starts where an
// attention sublayer writes) and finds each block's MLP hidden activation.
import { isOnnxDomain, type GraphIndex } from '../onnx/graph';
import type { NodeProto } from '../onnx/model';
import { findAttentionAnchor, type AttentionAnchor, type BranchNode } from './attention';
import { branchNodes, dependsOnProducer, type ResidualStep, type ResidualStream } from './residual';

export interface Block {
  steps: ResidualStep[];
  /** Branch nodes of each step, in the same order. */
  branches: BranchNode[][];
  anchor?: AttentionAnchor;
}

/** Projections whose second operand is a weight: MLP up/down projections among them. */
export const PROJECTIONS = new Set(['MatMul', 'Gemm', 'FusedMatMul', 'MatMulNBits', 'MatMulInteger', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul', 'QGemm']);

/**
 * The float activation behind a projection's first operand: for MatMulInteger, the tensor the
 * DynamicQuantizeLinear in front of it rounds to integers per run (onnxruntime's quantize_dynamic),
 * not the integers themselves.
 */
export function projectedActivation(index: GraphIndex, name: string): string {
  const p = index.producer(name);
  return p && p.slot === 0 && p.node.opType === 'DynamicQuantizeLinear' && isOnnxDomain(p.node.domain) ? p.node.input[0] : name;
}

/** Projections whose output is integer: their value is that output cast to float times the scales. */
const INTEGER_PROJECTIONS = new Set(['MatMulInteger', 'ConvInteger']);

/**
 * Whether `name` is an integer projection's output brought back to float: Mul(Cast(MatMulInteger(..)),
 * scale), as quantize_dynamic writes it. The scale is whatever the other operand is (x_scale · w_scale).
 */
export function isRescaledIntegerProjection(index: GraphIndex, name: string): boolean {
  const p = index.producer(name);
  if (p?.node.opType !== 'Mul' || !isOnnxDomain(p.node.domain)) return false;
  return p.node.input.some((input) => {
    const cast = input ? index.producer(input) : undefined;
    if (cast?.node.opType !== 'Cast') return false;
    const product = index.producer(cast.node.input[0]);
    return !!product && INTEGER_PROJECTIONS.has(product.node.opType);
  });
}

export function groupBlocks(index: GraphIndex, stream: ResidualStream): Block[] {
  const found = stream.steps.map((step) => {
    const branch = branchNodes(index, step);
    return { step, branch, anchor: findAttentionAnchor(index, branch) };
  });
  const anchored = found.filter((f) => f.anchor).length;
  // Attention then MLP, one write each, is nearly every transformer. Where only some of the
  // attention was recognised (an operator Model Lens does not follow), pairs keep the layers apart
  // and the unrecognised ones say so; grouping at the recognised ones would merge two layers.
  const paired = found.length % 2 === 0 && found.every((f, i) => !f.anchor || i % 2 === 0) && anchored < found.length / 2;
  const blocks: Block[] = [];
  found.forEach(({ step, branch, anchor }, i) => {
    const starts = paired || anchored === 0 ? i % 2 === 0 : !!anchor || blocks.length === 0;
    if (starts) blocks.push({ steps: [step], branches: [branch], anchor });
    else {
      blocks[blocks.length - 1].steps.push(step);
      blocks[blocks.length - 1].branches.push(branch);
    }
  });
  return blocks;
}

function anchorOutput(anchor: AttentionAnchor): string {
  return anchor.kind === 'softmax' ? anchor.softmax.output[0] : anchor.node.output[0];
}

/** Nodes that pass a projection's output on to the stream unchanged in value (reshapes, casts). */
const PASS_ON = new Set(['Cast', 'Identity', 'Reshape', 'Squeeze', 'Unsqueeze', 'Flatten']);

/**
 * The node that makes the part of a step's `branch` that `target` contributes to, looking through
 * what only passes it on or adds to it (a bias, a parallel block's attention, quantize_dynamic's
 * rescaling): `target`'s own node when nothing else transforms it on the way.
 */
function writerOf(index: GraphIndex, branch: string, target: string): NodeProto | undefined {
  let current = branch;
  for (;;) {
    const p = index.producer(current);
    if (!p) return undefined;
    const { node } = p;
    const onnx = isOnnxDomain(node.domain);
    if (onnx && PASS_ON.has(node.opType)) current = node.input[0];
    else if (onnx && (node.opType === 'Add' || isRescaledIntegerProjection(index, current))) {
      // Follow the operand that carries the target; a bias, a scale or the other branch does not.
      const next = node.input.filter((i) => i && (i === target || index.dependsOn(i, target)));
      if (next.length !== 1) return node;
      current = next[0];
    } else return node;
  }
}

/**
 * The MLP's hidden activation: the input of its down projection, which is the last weight
 * projection of the block outside the attention path. For a gated MLP that is act(gate)·up,
 * as TransformerLens' mlp.hook_post. That projection must be what writes the MLP's branch: an
 * operator Model Lens does not read as one there (an Einsum, a new quantized MatMul) leaves the
 * activation unknown, with why, rather than taking an earlier projection's input for it.
 */
export function mlpHiddenActivation(index: GraphIndex, block: Block): { input?: string; note?: string } {
  let best: { index: number; input: string; node: NodeProto; step: number } | undefined;
  block.steps.forEach((step, i) => {
    for (const { node, index: position } of block.branches[i]) {
      if (!PROJECTIONS.has(node.opType)) continue;
      const [activation, weight] = node.input;
      if (!activation || !weight || dependsOnProducer(index, weight, step.residualIn)) continue;
      if (block.anchor && i === 0) {
        // The block's first step holds the attention; keep only what is neither before nor after it.
        const anchor = anchorOutput(block.anchor);
        if (index.dependsOn(anchor, node.output[0]) || index.dependsOn(node.output[0], anchor)) continue;
      }
      if (!best || position > best.index) best = { index: position, input: projectedActivation(index, activation), node, step: i };
    }
  });
  if (!best) return {};
  const writer = writerOf(index, block.steps[best.step].branch[0], best.node.output[0]);
  if (writer === best.node) return { input: best.input };
  return { note: `the MLP's output reaches the stream through a ${writer?.opType ?? 'node'} node, which Model Lens does not read as a projection` };
}
