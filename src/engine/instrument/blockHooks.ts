// The steps inside each block, as TransformerLens names them: the token and position embeddings,
// each norm's scale and output, the attention's and the MLP's writes to the stream, the stream
// between them, the MLP's pre-activation (and a gated MLP's up projection), and a rotary block's
// angles (rotary.ts). Most are the model's own tensors. What a fused
// operator keeps inside is recomputed next to it from the operator's own inputs and attributes:
// a norm's scale (√(var + ε), or √(mean(x²) + ε) for RMS, in float32 as the operators compute it),
// a sum with the bias a skip norm adds, the embeddings EmbedLayerNormalization looks up, the
// pre-activation FastGelu and BiasGelu add their bias to. What cannot be found faithfully is left
// out with a note, never guessed.
//
// Everything computed here (and the casts of an fp16 model's tensors) is the then-branch of an If
// on "were the block hooks asked for" (deferred.ts), so an analysis without them runs none of it.
import { attr, floatAttr, intAttr, isOnnxDomain, type GraphIndex } from '../onnx/graph';
import { DataType, type NodeProto, type ValueInfo } from '../onnx/model';
import { hooks } from '../../shared/hooks';
import { RECOMPUTABLE } from './fusedAttention';
import { isRescaledIntegerProjection, projectedActivation, PROJECTIONS, type Block } from './blocks';
import { Deferred, Unavailable } from './deferred';
import type { Exposer } from './exposer';
import { findRotary } from './rotary';
import type { Tensors } from '../runner';
import type { TensorData } from '../types';
import type { Activation } from '../../shared/modelInfo';
import type { Exposure, InstrumentationPlan, LayerPlan, NormPlan } from './plan';
import { dependsOnProducer, residualSum, type ResidualStep, type ResidualStream } from './residual';

/** Norm operators: what they compute, their default epsilon (ONNX / ONNX Runtime), and where γ and β are. */
const NORM_OPS: Record<string, { kind: 'layer' | 'rms'; epsilon: number; gamma: number; beta?: number }> = {
  LayerNormalization: { kind: 'layer', epsilon: 1e-5, gamma: 1, beta: 2 },
  SimplifiedLayerNormalization: { kind: 'rms', epsilon: 1e-5, gamma: 1 },
  RMSNormalization: { kind: 'rms', epsilon: 1e-5, gamma: 1 },
  SkipLayerNormalization: { kind: 'layer', epsilon: 1e-12, gamma: 2, beta: 3 },
  SkipSimplifiedLayerNormalization: { kind: 'rms', epsilon: 1e-12, gamma: 2 },
  EmbedLayerNormalization: { kind: 'layer', epsilon: 1e-12, gamma: 5, beta: 6 },
};
/** Norms that read the stream as their first input (the others sum it themselves). */
const PLAIN_NORMS = new Set(['LayerNormalization', 'SimplifiedLayerNormalization', 'RMSNormalization']);
/** What a norm written as ONNX arithmetic is made of. */
const NORM_ARITHMETIC = new Set(['ReduceMean', 'Sub', 'Pow', 'Mul', 'Add', 'Sqrt', 'Div', 'Reciprocal', 'Cast', 'Identity']);
const PASS_THROUGH = new Set(['Cast', 'Identity']);
const TOKEN_INPUT = /input_ids|^ids$|^tokens$/i;
const INDEX_STEPS = new Set(['Cast', 'Reshape', 'Unsqueeze', 'Squeeze', 'Identity']);

function isDomain(node: NodeProto, ...domains: string[]): boolean {
  return domains.some((d) => (d === '' ? isOnnxDomain(node.domain) : node.domain === d));
}

/** The first tensor a region of nodes feeds to a weight projection or an attention operator: a norm's output, in a pre-norm model. */
function entryOf(index: GraphIndex, nodes: NodeProto[], stream: string): string | undefined {
  for (const node of nodes) {
    if (node.domain === 'com.microsoft' && RECOMPUTABLE.has(node.opType)) return node.input[0];
    if (!PROJECTIONS.has(node.opType)) continue;
    const [activation, weight] = node.input;
    if (activation && weight && !dependsOnProducer(index, weight, stream)) return projectedActivation(index, activation);
  }
  return undefined;
}

/** Where a norm of the stream is: the stream tensor it reads, the step that wrote it, and the nodes that read the norm's output. */
interface NormSite {
  /** The stream: a tensor of the graph or the instrumentation's sum, or undefined where only a skip norm's sum holds it. */
  stream?: string;
  step?: ResidualStep;
  region: NodeProto[];
}

/** √(var + ε) (LayerNorm) or √(mean(x²) + ε) (RMSNorm) of x (of type `type`) over its last axis, in float32: [.., 1]. */
function scaleOf(exposer: Exposer, x: string, type: DataType, kind: 'layer' | 'rms', epsilon: number): string {
  const em = exposer.em;
  const f = type === DataType.FLOAT ? x : em.cast(x, DataType.FLOAT);
  const centred = kind === 'layer' ? em.op1('Sub', [f, em.reduce('ReduceMean', f, [-1])]) : f;
  const meanSquare = em.reduce('ReduceMean', em.op1('Mul', [centred, centred]), [-1]);
  return em.op1('Sqrt', [em.op1('Add', [meanSquare, em.scalar(epsilon)])]);
}

/** The norm operator of a site, if the stream goes through one. */
function normOperator(index: GraphIndex, site: NormSite, entry: string): NodeProto | undefined {
  if (site.step?.kind === 'skipNorm') return site.step.node;
  const stream = site.step ? site.step.out : site.stream;
  if (!stream) return undefined;
  const p = index.producer(stream);
  if (p && p.node.opType === 'EmbedLayerNormalization' && p.slot === 2) return p.node;
  const readers: NodeProto[] = [];
  const queue = [stream];
  while (queue.length) {
    for (const { node, slot } of index.consumers(queue.shift()!)) {
      if (PASS_THROUGH.has(node.opType)) queue.push(node.output[0]);
      else if (PLAIN_NORMS.has(node.opType) && slot === 0 && isDomain(node, '', 'com.microsoft') && index.dependsOn(entry, node.output[0])) readers.push(node);
    }
  }
  return readers.length === 1 ? readers[0] : undefined;
}

/** A norm written as ONNX arithmetic between the stream and `entry`: its Sqrt is the scale. */
function arithmeticNorm(index: GraphIndex, deferred: Deferred, stream: string, entry: string): NormPlan {
  const nodes = index.nodesBetween(stream, entry);
  if (nodes.length === 0) throw new Unavailable('no norm lies between the stream and what reads it');
  const odd = nodes.find((n) => !NORM_ARITHMETIC.has(n.opType) || !isOnnxDomain(n.domain));
  if (odd) throw new Unavailable(`the stream reaches the ${odd.opType} node on its way to the branch, which is not a norm's arithmetic`);
  const outside = nodes.flatMap((n) => n.input).find((i) => i && !index.isConstant(i) && !index.dependsOn(i, stream));
  if (outside) throw new Unavailable(`the nodes between the stream and the branch also read ${outside}`);
  const roots = nodes.filter((n) => n.opType === 'Sqrt');
  if (roots.length !== 1 || !nodes.some((n) => n.opType === 'ReduceMean'))
    throw new Unavailable('the nodes between the stream and the branch are not a mean and one square root');
  const root = roots[0];
  const reads = (n: NodeProto, t: string) =>
    n.input.some((i) => i === t || (PASS_THROUGH.has(index.producer(i)?.node.opType ?? '') && index.producer(i)!.node.input[0] === t));
  const kind = nodes.some((n) => n.opType === 'ReduceMean' && reads(n, stream)) ? 'layer' : 'rms';
  const constantOf = (n: NodeProto | undefined) => n?.input.find((i) => i && index.isConstant(i));
  const epsilonAdd = index.producer(root.input[0])?.node;
  const epsilon = epsilonAdd?.opType === 'Add' ? index.constantValues(constantOf(epsilonAdd) ?? '')?.[0] : undefined;
  const afterRoot = nodes.filter((n) => n !== root && n.input.some((i) => i && !index.isConstant(i) && index.dependsOn(i, root.output[0])));
  const gamma = constantOf(afterRoot.find((n) => n.opType === 'Mul'));
  const beta = kind === 'layer' ? constantOf(afterRoot.find((n) => n.opType === 'Add')) : undefined;
  return {
    kind,
    op: 'ONNX arithmetic',
    epsilon,
    gamma,
    beta,
    scale: deferred.model(root.output[0]),
    normalized: deferred.model(entry),
    ...weights(index, deferred, gamma, beta),
  };
}

/** γ and β as exposures (cast to float32 in the branch), where the norm has them. */
function weights(index: GraphIndex, deferred: Deferred, gamma: string | undefined, beta: string | undefined): Pick<NormPlan, 'w' | 'b'> {
  const of = (t: string | undefined) => (t ? deferred.computed(() => t, index.elemType(t) ?? DataType.FLOAT) : undefined);
  return { w: of(gamma), b: of(beta) };
}

/** The norm that feeds a region of the stream's readers (a branch, or the head). */
function findNorm(index: GraphIndex, exposer: Exposer, deferred: Deferred, site: NormSite): NormPlan {
  const from = site.step?.kind === 'skipNorm' ? site.step.node.output[0] : site.stream!;
  const graphStream = site.step ? site.step.out : site.stream;
  const entry = entryOf(index, site.region, from);
  if (!entry) throw new Unavailable('no weight projection or attention operator reads the stream here');
  const node = normOperator(index, site, entry);
  if (!node) {
    if (!graphStream) throw new Unavailable('the stream here is a fused sum without a norm operator');
    return arithmeticNorm(index, deferred, graphStream, entry);
  }
  const spec = NORM_OPS[node.opType];
  if (PLAIN_NORMS.has(node.opType)) {
    const axis = intAttr(node, 'axis', -1);
    const rank = index.staticShape(node.input[0])?.length;
    if (axis !== -1 && axis !== (rank ?? 3) - 1) throw new Unavailable(`${node.opType} normalizes axis ${axis}, not the last`);
  }
  const epsilon = floatAttr(node, 'epsilon', spec.epsilon);
  const normalized = node.output[0];
  if (!index.dependsOn(entry, normalized)) throw new Unavailable(`the ${node.opType} output does not feed the branch`);
  const step = site.step;
  // A skip norm's input is its sum: the stream tensor the site names, except in a post-norm model,
  // where the stream read after the write is the norm's own output and the sum is made here.
  const input = () => {
    if (PLAIN_NORMS.has(node.opType)) return node.input[0];
    return step && (step.normalized || !site.stream) ? residualSum(exposer, step) : site.stream!;
  };
  const type = index.elemType(node.output[0]) ?? DataType.FLOAT;
  const gamma = node.input[spec.gamma] || undefined;
  const beta = spec.beta !== undefined ? node.input[spec.beta] || undefined : undefined;
  return {
    kind: spec.kind,
    op: node.opType,
    epsilon,
    gamma,
    beta,
    ...weights(index, deferred, gamma, beta),
    // The norm's output has its input's type (the sum's, for a skip norm).
    scale: deferred.computed(() => scaleOf(exposer, input(), type, spec.kind, epsilon), DataType.FLOAT),
    normalized: type === DataType.FLOAT ? exposer.expose(normalized) : deferred.model(normalized),
  };
}

/** A write to the stream as one tensor: the branch, plus the bias a skip norm adds with it. */
function writeOf(index: GraphIndex, exposer: Exposer, deferred: Deferred, step: ResidualStep): Exposure {
  const [written, bias] = step.branch;
  if (!bias) return deferred.model(written);
  return deferred.computed(() => exposer.em.op1('Add', [written, bias]), index.elemType(written) ?? DataType.FLOAT);
}

/** The producer of a tensor, looking through casts. */
function maker(index: GraphIndex, name: string): { node: NodeProto; slot: number } | undefined {
  let p = index.producer(name);
  while (p && PASS_THROUGH.has(p.node.opType)) p = index.producer(p.node.input[0]);
  return p;
}

/** A projection's output (an integer one's once rescaled to float), or its bias Add's (x·W + b): where the MLP's arithmetic starts. */
function isProjected(index: GraphIndex, name: string): boolean {
  const p = maker(index, name);
  if (!p) return false;
  const projection = (t: string) => isRescaledIntegerProjection(index, t) || (!!maker(index, t) && PROJECTIONS.has(maker(index, t)!.node.opType));
  if (projection(name)) return true;
  if (p.node.opType !== 'Add') return false;
  const [a, b] = p.node.input;
  return (index.isConstant(a) && projection(b)) || (index.isConstant(b) && projection(a));
}

/** The projected tensors `post` is computed from, walking back through the activation's arithmetic. */
function projectedSources(index: GraphIndex, post: string): { sources: string[]; ops: Set<string> } {
  const sources = new Set<string>();
  const ops = new Set<string>();
  const stack = [post];
  const seen = new Set<string>();
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name) || index.isConstant(name)) continue;
    seen.add(name);
    if (isProjected(index, name)) {
      sources.add(name);
      continue;
    }
    const p = index.producer(name);
    if (!p || seen.size > 64) return { sources: [], ops };
    ops.add(p.node.opType);
    for (const input of p.node.input) if (input) stack.push(input);
  }
  return { sources: [...sources], ops };
}

/** The activation function written as ONNX arithmetic from its nodes, when they say which it is. */
function arithmeticActivation(ops: Set<string>): Activation | undefined {
  const has = (...names: string[]) => names.every((n) => ops.has(n));
  const only = (allowed: string[]) => [...ops].every((o) => allowed.includes(o) || PASS_THROUGH.has(o));
  if (has('Erf') && only(['Erf', 'Div', 'Mul', 'Add'])) return { kind: 'gelu', op: 'Erf' };
  if (has('Tanh') && only(['Tanh', 'Pow', 'Mul', 'Add'])) return { kind: 'gelu_tanh', op: 'Tanh' };
  if (has('Relu') && only(['Relu'])) return { kind: 'relu', op: 'Relu' };
  return undefined;
}

/** Where an activation function is applied: its input x (plus a bias the fused operator adds) and which function it is. */
interface ActivationSite {
  x: string;
  bias?: string;
  activation?: Activation;
}

/** The activation function that makes `activated` from one projection, as its operator or nodes say. */
function activationSite(index: GraphIndex, activated: string): ActivationSite {
  const p = maker(index, activated);
  if (!p) throw new Unavailable('the hidden activation is not made by a node');
  const { node } = p;
  const [x, bias] = node.input;
  const fused = node.domain === 'com.microsoft';
  if (fused && node.opType === 'FastGelu') return { x, bias, activation: { kind: 'gelu_tanh', op: 'FastGelu' } };
  if (fused && node.opType === 'BiasGelu') return { x, bias, activation: { kind: 'gelu', op: 'BiasGelu' } };
  if (fused && node.opType === 'Gelu') return { x, activation: { kind: 'gelu', op: 'Gelu' } };
  if (fused && node.opType === 'QuickGelu') return { x, activation: { kind: 'quick_gelu', op: 'QuickGelu', alpha: floatAttr(node, 'alpha', 1.702) } };
  if (isOnnxDomain(node.domain) && node.opType === 'Gelu') {
    const approximate = attr(node, 'approximate')?.s;
    const tanh = approximate ? new TextDecoder().decode(approximate) === 'tanh' : false;
    return { x, activation: { kind: tanh ? 'gelu_tanh' : 'gelu', op: 'Gelu' } };
  }
  if (isOnnxDomain(node.domain) && node.opType === 'Relu') return { x, activation: { kind: 'relu', op: 'Relu' } };
  const { sources, ops } = projectedSources(index, activated);
  if (sources.length !== 1) throw new Unavailable('the input of the activation function could not be told apart from the projections around it');
  const [source] = sources;
  // x·σ(x): a Sigmoid of the pre-activation itself, times it.
  const sigmoid = [...ops].every((o) => o === 'Sigmoid' || o === 'Mul' || PASS_THROUGH.has(o)) && node.opType === 'Mul' && node.input.includes(source);
  const other = sigmoid ? maker(index, node.input.find((i) => i !== source) ?? '') : undefined;
  const silu = other?.node.opType === 'Sigmoid' && other.node.input[0] === source;
  return { x: source, activation: silu ? { kind: 'silu', op: 'Sigmoid' } : arithmeticActivation(ops) };
}

/**
 * The MLP's pre-activation and its activation function, from its hidden activation `post`. A gated
 * MLP, act(gate) · up, also gives its "up" projection, so that post can be recomputed from both.
 */
function mlpPre(index: GraphIndex, exposer: Exposer, deferred: Deferred, post: string): { pre: Exposure; preLinear?: Exposure; activation?: Activation } {
  const withBias = (site: ActivationSite) =>
    site.bias ? deferred.computed(() => exposer.em.op1('Add', [site.x, site.bias!]), index.elemType(site.x) ?? DataType.FLOAT) : deferred.model(site.x);
  const p = maker(index, post);
  if (!p) throw new Unavailable('the hidden activation is not made by a node');
  const { sources } = projectedSources(index, post);
  if (sources.length === 2 && p.node.opType === 'Mul') {
    // The up projection is the operand that is a projection itself; the other is act(gate).
    const up = p.node.input.find((i) => sources.includes(i));
    const gate = sources.find((s) => s !== up);
    const activated = p.node.input.find((i) => i !== up);
    if (up && gate && activated) {
      let site: ActivationSite | undefined;
      try {
        site = activationSite(index, activated);
      } catch (e) {
        if (!(e instanceof Unavailable)) throw e;
      }
      // Only an activation of the gate itself says what the gate goes through.
      const ofGate = site?.x === gate ? site : undefined;
      return { pre: ofGate ? withBias(ofGate) : deferred.model(gate), preLinear: deferred.model(up), activation: ofGate?.activation };
    }
  }
  const site = activationSite(index, post);
  return { pre: withBias(site), activation: site.activation };
}

/** The indices of a Gather, back through casts and reshapes: the graph input they are, if any. */
function indexInput(index: GraphIndex, name: string): string | undefined {
  let current = name;
  for (let p = index.producer(current); p && INDEX_STEPS.has(p.node.opType); p = index.producer(current)) current = p.node.input[0];
  return index.inputs.has(current) ? current : undefined;
}

/**
 * A lookup in a constant table: Gather(table, indices) along axis 0, or com.microsoft's
 * GatherBlockQuantized of a block-quantized table along axis 0 (onnxruntime-genai's int4 token
 * embedding), which gives the dequantized rows, or a Gather of an integer table whose rows a
 * DequantizeLinear of constant scale and zero point turns into floats (onnxruntime's
 * quantize_dynamic). The lookup node is returned: its indices are the second input.
 */
function tableLookup(index: GraphIndex, name: string): NodeProto | undefined {
  let p = index.producer(name);
  if (p && p.node.opType === 'DequantizeLinear' && isOnnxDomain(p.node.domain) && p.node.input.slice(1).every((i) => !i || index.isConstant(i))) {
    p = index.producer(p.node.input[0]);
    if (p?.node.opType !== 'Gather') return undefined;
  }
  if (!p || !index.isConstant(p.node.input[0])) return undefined;
  const { node } = p;
  if (node.opType === 'Gather' && isOnnxDomain(node.domain) && intAttr(node, 'axis', 0) === 0) return node;
  if (node.opType === 'GatherBlockQuantized' && node.domain === 'com.microsoft' && intAttr(node, 'gather_axis', 0) === 0) return node;
  return undefined;
}

/** hook_embed and hook_pos_embed of the embedding tensor (the stream before block 0). */
function embeddings(index: GraphIndex, exposer: Exposer, deferred: Deferred, embedding: string): { embed: Exposure; posEmbed?: Exposure } {
  const em = exposer.em;
  const p = index.producer(embedding);
  if (p && p.node.opType === 'EmbedLayerNormalization' && p.slot === 2) {
    const [ids, segmentIds, words, positions, segments, , , , positionIds] = p.node.input;
    if (segmentIds || segments) throw new Unavailable('EmbedLayerNormalization adds a segment embedding to the token and position embeddings');
    const type = index.elemType(words) ?? DataType.FLOAT;
    const embed = deferred.computed(() => em.op1('Gather', [words, ids], { axis: 0 }), type); // [batch, pos, d_model]
    // Without position ids the operator reads rows 0..pos − 1.
    const rows = () =>
      positionIds || em.unsqueeze(em.op1('Range', [em.scalar(0, DataType.INT64), em.squeeze(em.dim(ids, 1), [0]), em.scalar(1, DataType.INT64)]), [0]);
    const posEmbed = deferred.computed(() => em.op1('Gather', [positions, rows()], { axis: 0 }), type); // [1 or batch, pos, d_model]
    return { embed, posEmbed };
  }
  const byToken = (name: string) => {
    const gather = tableLookup(index, name);
    const input = gather && indexInput(index, gather.input[1]);
    return !!input && TOKEN_INPUT.test(input);
  };
  if (byToken(embedding)) return { embed: deferred.model(embedding) };
  if (p && p.node.opType === 'Add' && isOnnxDomain(p.node.domain)) {
    const [a, b] = p.node.input;
    const tokens = [a, b].filter(byToken);
    const other = a === tokens[0] ? b : a;
    if (tokens.length === 1 && tableLookup(index, other)) return { embed: deferred.model(tokens[0]), posEmbed: deferred.model(other) }; // [batch, pos, d_model] and [(batch,) pos, d_model]
  }
  throw new Unavailable('the embedding is not a lookup of the token ids in a table, plus at most one lookup in a position table');
}

export interface BlockHooks {
  embed?: Exposure;
  posEmbed?: Exposure;
  lnFinal?: NormPlan;
  input?: ValueInfo;
  notes: string[];
}

/**
 * Adds each block's inner hooks to `layers` (in place) and returns the model-wide ones. `after`
 * holds the stream after each block as the instrumentation has it (a skip norm's sum recomputed
 * where the node does not output it).
 */
export function addBlockHooks(
  index: GraphIndex,
  exposer: Exposer,
  stream: ResidualStream,
  blocks: Block[],
  layers: LayerPlan[],
  after: string[],
  logits: string,
): BlockHooks {
  const deferred = new Deferred(index, exposer);
  const missing = new Map<string, string[]>();
  const attempt = <T>(names: string[], find: () => T): T | undefined => {
    try {
      return find();
    } catch (e) {
      if (!(e instanceof Unavailable)) throw e;
      missing.set(e.message, [...(missing.get(e.message) ?? []), ...names]);
      return undefined;
    }
  };
  const normHooks = (name: (which: 'scale' | 'normalized') => string) => [name('scale'), name('normalized')];
  const found = attempt([hooks.embed, hooks.posEmbed], () => embeddings(index, exposer, deferred, stream.embedding));
  let previous: { stream?: string; step?: ResidualStep } = { stream: stream.embedding };
  blocks.forEach((block, L) => {
    const layer = layers[L];
    const [attention, mlp] = block.steps;
    layer.ln1 = attempt(
      normHooks((w) => hooks.norm(L, 'ln1', w)),
      () => findNorm(index, exposer, deferred, { ...previous, region: block.branches[0].map((b) => b.node) }),
    );
    if (block.steps.length !== 2 || !block.anchor) {
      const reason =
        block.steps.length === 1
          ? 'the attention and the MLP read the same stream and are added to it together (a parallel block), so there is no stream between them'
          : block.anchor
            ? `the block writes to the stream ${block.steps.length} times, not once for the attention and once for the MLP`
            : 'no attention was recognised in the block, so its writes to the stream cannot be told to be the attention and the MLP';
      missing.set(reason, [...(missing.get(reason) ?? []), hooks.attnOut(L), hooks.residMid(L), ...normHooks((w) => hooks.norm(L, 'ln2', w)), hooks.mlpOut(L)]);
    } else {
      layer.attnOut = writeOf(index, exposer, deferred, attention);
      layer.residMid = attention.out
        ? deferred.model(attention.out)
        : // x + attn_out: in a post-norm model the sum its norm (ln2) takes, not the normalized stream the MLP reads.
          deferred.computed(() => residualSum(exposer, attention), index.elemType(attention.residualIn) ?? DataType.FLOAT);
      layer.ln2 = attempt(
        normHooks((w) => hooks.norm(L, 'ln2', w)),
        () => findNorm(index, exposer, deferred, { stream: attention.out, step: attention, region: block.branches[1].map((b) => b.node) }),
      );
      layer.mlpOut = writeOf(index, exposer, deferred, mlp);
    }
    const rotaryHooks = (['cos', 'sin', 'q_in', 'q_out'] as const).map((w) => hooks.rotary(L, w));
    layer.rotary = attempt(rotaryHooks, () => findRotary(index, exposer, deferred, block.anchor, block.steps[0].residualIn));
    if (layer.mlpPost) {
      const pre = attempt([hooks.mlpPre(L)], () => mlpPre(index, exposer, deferred, layer.mlpPost!.tensor));
      layer.mlpPre = pre?.pre;
      layer.mlpPreLinear = pre?.preLinear;
      layer.activation = pre?.activation;
    }
    const last = block.steps[block.steps.length - 1];
    // The sum a skip norm keeps to itself is made once, for hook_resid_post, and read here too.
    previous = { stream: after[L], step: last };
  });
  const last = previous.step!;
  const headStart = last.kind === 'skipNorm' ? last.node.output[0] : last.out!;
  const lnFinal = attempt(normHooks(hooks.lnFinal), () => findNorm(index, exposer, deferred, { ...previous, region: index.nodesBetween(headStart, logits) }));
  const input = deferred.finish();
  const notes = [...missing].map(([reason, names]) => `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} unavailable: ${reason}`);
  return { embed: found?.embed, posEmbed: found?.posEmbed, lnFinal, input, notes };
}

/** Every exposure of the block hooks in a plan, with its TransformerLens name: what an analysis with activations fetches. */
export function blockHookExposures(plan: InstrumentationPlan): [string, Exposure][] {
  const out: [string, Exposure | undefined][] = [
    [hooks.embed, plan.embed],
    [hooks.posEmbed, plan.posEmbed],
    [hooks.lnFinal('scale'), plan.lnFinal?.scale],
    [hooks.lnFinal('normalized'), plan.lnFinal?.normalized],
    [hooks.lnFinalWeight('w'), plan.lnFinal?.w],
    [hooks.lnFinalWeight('b'), plan.lnFinal?.b],
  ];
  plan.layers.forEach((layer, L) => {
    out.push(
      [hooks.norm(L, 'ln1', 'scale'), layer.ln1?.scale],
      [hooks.norm(L, 'ln1', 'normalized'), layer.ln1?.normalized],
      [hooks.normWeight(L, 'ln1', 'w'), layer.ln1?.w],
      [hooks.normWeight(L, 'ln1', 'b'), layer.ln1?.b],
      [hooks.attnOut(L), layer.attnOut],
      [hooks.residMid(L), layer.residMid],
      [hooks.norm(L, 'ln2', 'scale'), layer.ln2?.scale],
      [hooks.norm(L, 'ln2', 'normalized'), layer.ln2?.normalized],
      [hooks.normWeight(L, 'ln2', 'w'), layer.ln2?.w],
      [hooks.normWeight(L, 'ln2', 'b'), layer.ln2?.b],
      [hooks.mlpPre(L), layer.mlpPre],
      [hooks.mlpPreLinear(L), layer.mlpPreLinear],
      [hooks.mlpOut(L), layer.mlpOut],
      [hooks.rotary(L, 'cos'), layer.rotary?.cos],
      [hooks.rotary(L, 'sin'), layer.rotary?.sin],
      [hooks.rotary(L, 'q_in'), layer.rotary?.qIn],
      [hooks.rotary(L, 'q_out'), layer.rotary?.qOut],
    );
  });
  return out.filter((e): e is [string, Exposure] => !!e[1]);
}

/** The block hooks of a run's outputs under their TransformerLens names, the batch axis dropped: [pos, width] ([d_model] for a norm's weights). */
export function collectBlockHooks(plan: InstrumentationPlan, outputs: Tensors): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  for (const [name, e] of blockHookExposures(plan)) {
    const t = outputs[e.output];
    if (t) out[name] = { shape: t.dims.slice(Math.max(0, t.dims.length - 2)), data: t.data as Float32Array };
  }
  return out;
}
