// Direct logit attribution, in the graph: what the final residual stream at one position is made
// of, for the engine to project on the direction of "target rather than foil". The stream is the
// sum of the embedding and every write to it (each block's attention and MLP output, a fused
// norm's bias), and each head's share of an attention output is z_h · W_O[h] (the output
// projection's rows of that head). Through the final norm with its scale frozen at this run's
// value, and the unembedding, every part becomes a share of logit(target) − logit(foil), and the
// shares add up to it exactly (see ../attribution.ts). A head's share splits further over the
// tokens it read: A[q, k] · (v_k · W_O[h]).
//
// Everything here is the then-branch of an If on "were target and foil fed", so an analysis
// that does not ask for an attribution runs none of it.
import { floatAttr, intsAttr, type GraphIndex } from '../onnx/graph';
import { DataType, type ValueInfo } from '../onnx/model';
import type { Block } from './blocks';
import type { Exposer } from './exposer';
import type { AttributionPlan, ComponentRow, LayerPlan } from './plan';
import type { ResidualStep } from './residual';

export const ATTRIBUTION_INPUT = 'modellens_attribution';

/** Final norms whose scale can be frozen: LayerNorm (centres, then scales) and RMSNorm (scales). */
const NORMS: Record<string, { norm: 'layer' | 'rms'; beta: boolean; epsilon: number }> = {
  LayerNormalization: { norm: 'layer', beta: true, epsilon: 1e-5 },
  SimplifiedLayerNormalization: { norm: 'rms', beta: false, epsilon: 1e-5 },
  RMSNormalization: { norm: 'rms', beta: false, epsilon: 1e-5 },
  SkipLayerNormalization: { norm: 'layer', beta: true, epsilon: 1e-12 },
  SkipSimplifiedLayerNormalization: { norm: 'rms', beta: false, epsilon: 1e-12 },
};
/** Between the final norm and the logits: a linear map with an optional bias, nothing else. */
const LINEAR_HEAD = new Set(['MatMul', 'Add', 'Cast', 'Identity']);

interface Head {
  norm: 'layer' | 'rms';
  gamma: string;
  beta?: string;
  epsilon: number;
  /** The unembedding and the axis of it that runs over the vocabulary. */
  weight: string;
  vocabAxis: number;
  bias?: string;
}

class Unavailable extends Error {}

/** Whether a tensor is a weight: a constant, or a constant dequantized (QDQ exports). */
function isWeight(index: GraphIndex, name: string): boolean {
  if (index.isConstant(name)) return true;
  const p = index.producer(name);
  return p?.node.opType === 'DequantizeLinear' && p.node.input.every((input) => !input || index.isConstant(input));
}

/** The final norm and the unembedding after it, or why the head is not one that can be linearised. */
function findHead(index: GraphIndex, last: ResidualStep, logits: string): Head {
  let normNode = last.kind === 'skipNorm' ? last.node : undefined;
  if (!normNode) {
    const start = last.out!;
    normNode = index
      .consumers(start)
      .map((use) => use.node)
      .find((node) => node.opType in NORMS && index.dependsOn(logits, node.output[0]));
  }
  const spec = normNode && NORMS[normNode.opType];
  if (!normNode || !spec) throw new Unavailable('the final norm is not a LayerNorm or RMSNorm operator whose scale can be frozen');
  const axis = intsAttr(normNode, 'axis')?.[0];
  if (axis !== undefined && axis !== -1 && !normNode.opType.startsWith('Skip')) {
    const rank = index.staticShape(normNode.input[0])?.length;
    if (rank === undefined || axis !== rank - 1) throw new Unavailable('the final norm does not normalise the last axis');
  }
  const [gamma, beta] = normNode.opType.startsWith('Skip') ? [normNode.input[2], normNode.input[3]] : [normNode.input[1], normNode.input[2]];
  const nodes = index.nodesBetween(normNode.output[0], logits);
  const odd = nodes.find((n) => !LINEAR_HEAD.has(n.opType));
  if (odd?.opType === 'MatMulNBits')
    throw new Unavailable('the unembedding is quantized to 4 bits (MatMulNBits), so its columns are not a float matrix to read');
  if (odd) throw new Unavailable(`the model's head applies ${odd.opType} after the final norm, so it is not linear`);
  const matmuls = nodes.filter((n) => n.opType === 'MatMul');
  if (matmuls.length !== 1) throw new Unavailable('the unembedding is not one MatMul');
  let weight = matmuls[0].input[1];
  let vocabAxis = 1;
  const transposed = index.producer(weight);
  if (transposed?.node.opType === 'Transpose' && intsAttr(transposed.node, 'perm')?.join() === '1,0') {
    weight = transposed.node.input[0];
    vocabAxis = 0;
  }
  if (!isWeight(index, weight)) throw new Unavailable('the unembedding is not a weight of the model');
  const adds = nodes.filter((n) => n.opType === 'Add');
  const bias = adds.map((n) => n.input.find((i) => index.isConstant(i))).find(Boolean);
  if (adds.length > 1 || (adds.length === 1 && (!bias || index.dependsOn(matmuls[0].input[0], adds[0].output[0])))) {
    throw new Unavailable('the head adds something other than one bias after the unembedding');
  }
  return {
    norm: spec.norm,
    gamma,
    beta: spec.beta ? beta || undefined : undefined,
    epsilon: floatAttr(normNode, 'epsilon', spec.epsilon),
    weight,
    vocabAxis,
    bias,
  };
}

/** The output projection a head tensor feeds (through reshapes only): a MatMul by a weight [heads · d_head, d_model]. */
function outputProjection(index: GraphIndex, z: string): string | undefined {
  let current = z;
  for (let depth = 0; depth < 4; depth++) {
    const uses = index.consumers(current);
    if (uses.length !== 1) return undefined;
    const { node, slot } = uses[0];
    if (node.opType === 'Reshape' && slot === 0) current = node.output[0];
    else
      return node.opType === 'MatMul' && slot === 0 && isWeight(index, node.input[1]) && (index.staticShape(node.input[1])?.length ?? 2) === 2
        ? node.input[1]
        : undefined;
  }
  return undefined;
}

/**
 * Builds the attribution's graph; `blocks` and `layers` are the model's, `finalStream` the
 * residual stream after the last block ([1, pos, d_model]).
 */
export function buildAttribution(
  index: GraphIndex,
  exposer: Exposer,
  embedding: string,
  blocks: Block[],
  layers: LayerPlan[],
  finalStream: string,
  logits: string,
): { plan: AttributionPlan; inputs: ValueInfo[] } | { note: string } {
  const last = blocks[blocks.length - 1].steps[blocks[blocks.length - 1].steps.length - 1];
  let head: Head;
  try {
    head = findHead(index, last, logits);
  } catch (e) {
    if (e instanceof Unavailable) return { note: `direct logit attribution is unavailable: ${e.message}` };
    throw e;
  }
  const em = exposer.em;
  const type = index.elemType(logits) ?? DataType.FLOAT;
  const positionInput = `${ATTRIBUTION_INPUT}_position`;
  const tokensInput = `${ATTRIBUTION_INPUT}_tokens`;
  const inputs: ValueInfo[] = [
    { name: positionInput, elemType: DataType.INT64, shape: [1] },
    { name: tokensInput, elemType: DataType.INT64, shape: ['attribution_tokens'] },
  ];
  const rows: ComponentRow[] = [];
  const headNotes: string[] = [];
  const split: number[] = [];
  const float = (x: string) => (type === DataType.FLOAT ? x : em.cast(x, DataType.FLOAT));

  const run = em.graph(() => {
    const position = em.squeeze(positionInput, [0]);
    /** A [.., pos, width] tensor's row at the position: [1, width]. */
    const atPosition = (t: string) => em.op1('Gather', [em.reshape(t, em.shapeOf([-1, em.dim(t, -1)])), positionInput], { axis: 0 });
    const parts = [atPosition(embedding)];
    rows.push({ kind: 'embed' });
    blocks.forEach((block, L) => {
      const parallel = block.steps.length === 1 && !!block.anchor;
      block.steps.forEach((step, s) => {
        const attention = s === 0 && (!!block.anchor || block.steps.length > 1);
        const [written, bias] = step.branch;
        parts.push(atPosition(written));
        rows.push({ kind: attention ? (parallel ? 'block' : 'attn') : 'mlp', layer: L });
        if (bias) {
          parts.push(em.reshape(bias, em.ints([1, -1])));
          rows.push({ kind: 'bias', layer: L });
        }
      });
    });
    const rowLogits = atPosition(logits); // [1, vocab]
    const [, top] = em.opset >= 10 ? em.op('TopK', [rowLogits, em.ints([2])], { axis: -1 }, 2) : em.op('TopK', [rowLogits], { axis: -1, k: 2 }, 2);
    const [target, fedFoil] = em.split(tokensInput, 0, [1, 1]);
    const [first, second] = em.split(em.reshape(top, em.ints([-1])), 0, [1, 1]);
    const bestOther = em.op1('Where', [em.op1('Equal', [first, target]), second, first]);
    const tokens = em.op1('Concat', [target, em.op1('Where', [em.op1('Less', [fedFoil, em.ints([0])]), bestOther, fedFoil])], { axis: 0 }); // [2]
    const columns = em.op1('Gather', [head.weight, tokens], { axis: head.vocabAxis });
    const unembed = head.vocabAxis === 1 ? columns : em.op1('Transpose', [columns], { perm: [1, 0] }); // [d_model, 2]
    const [targetColumn, foilColumn] = em.split(unembed, 1, [1, 1]);
    const direction = em.op1('Mul', [em.op1('Sub', [targetColumn, foilColumn]), em.reshape(head.gamma, em.ints([-1, 1]))]); // [d_model, 1]
    const headOutputs: string[] = [];
    layers.forEach((layer, L) => {
      const z = layer.z;
      const weight = z && outputProjection(index, z.tensor);
      const v = layer.v;
      if (!z || !weight || !v || (z.layout !== 'bsD' && z.layout !== 'bshd') || (v.layout !== 'bhsd' && v.layout !== 'bshd')) {
        if (layer.attention.kind !== 'unavailable') headNotes.push(`layer ${L}: its output projection could not be found, so its attention is shown whole`);
        return;
      }
      const count = z.layout === 'bsD' ? em.ints([z.heads!]) : em.dim(z.tensor, 2);
      const z4 = z.layout === 'bsD' ? em.reshape(z.tensor, em.shapeOf([0, 0, count, -1])) : z.tensor; // [1, pos, heads, d_head]
      const perHead = em.reshape(weight, em.shapeOf([count, -1, em.dim(weight, 1)])); // [heads, d_head, d_model]
      const zq = em.op1('Transpose', [em.op1('Gather', [z4, position], { axis: 1 })], { perm: [1, 0, 2] }); // [heads, 1, d_head]
      headOutputs.push(float(em.reshape(em.op1('MatMul', [zq, perHead]), em.shapeOf([-1, em.dim(weight, 1)])))); // [heads, d_model]
      const v4 = v.layout === 'bshd' ? em.op1('Transpose', [v.tensor], { perm: [0, 2, 1, 3] }) : v.tensor; // [1, heads, pos, d_head]
      const written = em.op1('MatMul', [em.squeeze(v4, [0]), perHead]); // [heads, pos, d_model]: v_k · W_O[h]
      headOutputs.push(float(em.squeeze(em.op1('MatMul', [written, direction]), [2]))); // [heads, pos]
      headOutputs.push(float(em.reduce('ReduceMean', written, [-1], 0))); // [heads, pos]
      split.push(L);
    });
    const outputs = [
      float(em.op1('Concat', parts, { axis: 0 })),
      ...headOutputs,
      float(atPosition(finalStream)),
      em.cast(em.reshape(tokens, em.ints([1, 2])), DataType.FLOAT),
      float(em.op1('Gather', [rowLogits, tokens], { axis: 1 })),
      float(unembed),
      float(em.reshape(head.gamma, em.ints([1, -1]))),
      ...(head.beta ? [float(em.reshape(head.beta, em.ints([1, -1])))] : []),
      ...(head.bias ? [float(em.reshape(em.op1('Gather', [head.bias, tokens], { axis: 0 }), em.ints([1, -1])))] : []),
    ];
    return outputs.map((name) => ({ name, elemType: DataType.FLOAT }));
  });
  const outputCount = (run.graph as { output: unknown[] }).output.length;
  // Not asked for: every output empty, [0, 1], made from the empty tokens input.
  const skip = em.graph(() =>
    Array.from({ length: outputCount }, () => ({ name: em.reshape(em.cast(tokensInput, DataType.FLOAT), em.ints([0, 1])), elemType: DataType.FLOAT })),
  );
  const asked = em.op1('Greater', [em.op1('Size', [tokensInput]), em.constant(DataType.INT64, [], [0])]);
  const outputs = em.op('If', [asked], { then_branch: run, else_branch: skip }, outputCount);
  for (const name of outputs) exposer.outputs.push({ name, elemType: DataType.FLOAT });
  const [components, ...rest] = outputs;
  const heads = split.map((layer, i) => ({ layer, output: rest[3 * i], sourceProjection: rest[3 * i + 1], sourceMean: rest[3 * i + 2] }));
  const [stream, tokens, logitPair, unembed, gamma, ...optional] = rest.slice(3 * split.length);
  return {
    plan: {
      positionInput,
      tokensInput,
      components,
      tokens,
      rows,
      heads,
      headNotes,
      stream,
      logits: logitPair,
      unembed,
      gamma,
      beta: head.beta ? optional[0] : undefined,
      unembedBias: head.bias ? optional[head.beta ? 1 : 0] : undefined,
      norm: head.norm,
      epsilon: head.epsilon,
    },
    inputs,
  };
}
