// Finds the residual stream of a decoder from the graph alone. Starting at the logits, the
// nearest "residual node" is the last write to the stream; walking back along its residual
// operand visits every write until the embedding. A residual node adds a branch to the stream,
// and the branch is computed from the stream: Add(x, f(x)), or a fused SkipLayerNormalization
// one of whose two summed operands is computed from the other. That definition needs no per-model table and
// covers pre-norm, parallel (GPT-J/NeoX) and fused (ONNX Runtime optimizer) exports.
import { isOnnxDomain, type GraphIndex } from '../onnx/graph';
import type { NodeProto } from '../onnx/model';
import type { Exposer } from './exposer';

export const SKIP_NORMS = new Set(['SkipLayerNormalization', 'SkipSimplifiedLayerNormalization']);
const PASS_THROUGH = new Set(['Cast', 'Identity']);
/** Both skip norms put input + skip + bias in their fourth output. */
const SKIP_NORM_SUM_SLOT = 3;

/** One write to the residual stream: R_k = R_{k-1} + branch. */
export interface ResidualStep {
  node: NodeProto;
  nodeIndex: number;
  kind: 'add' | 'skipNorm';
  /** R_{k-1}. */
  residualIn: string;
  /** The branch tensors added to it (for a skip norm: the operand that is not the stream and, when present, its bias). */
  branch: string[];
  /** R_k when the graph has it as a tensor; a skip norm without its sum output leaves it implicit. */
  out?: string;
  /**
   * Post-norm models (BERT and the encoders after it): the stream as the rest of the model reads
   * it after this write, LN(R_k). The next write adds to this, not to R_k.
   */
  normalized?: string;
}

export interface ResidualStream {
  /** The stream before the first write: the embedding. */
  embedding: string;
  steps: ResidualStep[];
}

function skipThrough(index: GraphIndex, name: string): string {
  let current = name;
  for (let p = index.producer(current); p && PASS_THROUGH.has(p.node.opType); p = index.producer(current)) current = p.node.input[0];
  return current;
}

/** The step a node makes on the stream, if it is a residual node. */
export function residualStep(index: GraphIndex, node: NodeProto, nodeIndex: number): ResidualStep | undefined {
  if (node.opType === 'Add' && isOnnxDomain(node.domain)) {
    const [a, b] = node.input;
    if (!a || !b || index.isConstant(a) || index.isConstant(b)) return undefined;
    const aFirst = dependsOnProducer(index, b, a);
    const bFirst = !aFirst && dependsOnProducer(index, a, b);
    if (!aFirst && !bFirst) return undefined;
    const [residualIn, branch] = aFirst ? [a, b] : [b, a];
    return { node, nodeIndex, kind: 'add', residualIn, branch: [branch], out: node.output[0] };
  }
  if (SKIP_NORMS.has(node.opType) && node.domain === 'com.microsoft') {
    // The norm adds its first two operands, and exporters put the stream in either: ONNX Runtime's
    // optimizer keeps the order of the Add it fused, onnxruntime-genai's builder puts the stream
    // first. The branch is whichever one is computed from the other.
    const [input, skip, , , bias] = node.input;
    if (!input || !skip) return undefined;
    const streamFirst = dependsOnProducer(index, skip, input);
    if (!streamFirst && !dependsOnProducer(index, input, skip)) return undefined;
    const [residualIn, branch] = streamFirst ? [input, skip] : [skip, input];
    return {
      node,
      nodeIndex,
      kind: 'skipNorm',
      residualIn,
      branch: bias ? [branch, bias] : [branch],
      out: node.output[SKIP_NORM_SUM_SLOT] || undefined,
    };
  }
  return undefined;
}

/**
 * Whether `name` is computed from the node that produces `source`. Asking about the node rather
 * than the tensor matters for fused norms, whose normalized output and residual sum are siblings.
 */
export function dependsOnProducer(index: GraphIndex, name: string, source: string): boolean {
  const p = index.producer(source);
  if (!p) return index.dependsOn(name, source);
  return p.node.output.some((sibling) => sibling && index.dependsOn(name, sibling));
}

/** The residual node nearest to a tensor, searching its ancestors breadth first. */
function nearestResidualStep(index: GraphIndex, from: string): ResidualStep | undefined {
  const queue = [from];
  const seen = new Set<string>();
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const p = index.producer(name);
    if (!p) continue;
    const step = residualStep(index, p.node, p.index);
    if (step) return step;
    for (const input of p.node.input) if (input && !index.isConstant(input)) queue.push(input);
  }
  return undefined;
}

/**
 * Whether every value `name` is computed from comes from `source` or from constants: a norm of
 * `source`, say, and not a sum with anything else the graph is fed or computes.
 */
function readsOnly(index: GraphIndex, name: string, source: string): boolean {
  const stack = [name];
  const seen = new Set<string>();
  while (stack.length) {
    const current = stack.pop()!;
    if (current === source || seen.has(current) || index.isConstant(current)) continue;
    seen.add(current);
    const p = index.producer(current);
    if (!p) return false;
    for (const input of p.node.input) if (input) stack.push(input);
  }
  return true;
}

/**
 * The write whose norm `name` is, in a post-norm model: a fused skip norm's normalized output, or
 * a tensor computed from one write's sum alone (a LayerNormalization, or its arithmetic).
 */
function normalizedWrite(index: GraphIndex, name: string): ResidualStep | undefined {
  const p = index.producer(name);
  const own = p && residualStep(index, p.node, p.index);
  if (own) return own.kind === 'skipNorm' && p.slot === 0 ? { ...own, normalized: name } : undefined;
  const step = nearestResidualStep(index, name);
  return step?.out && readsOnly(index, name, step.out) ? { ...step, normalized: name } : undefined;
}

/**
 * The last write's norm in a post-norm model, which only the head reads: the first tensor after
 * it computed from its sum alone by the same operators as the norm after `before`, the write
 * before it.
 */
function lastNormalized(index: GraphIndex, last: ResidualStep, before: ResidualStep, logits: string): string | undefined {
  if (last.kind === 'skipNorm') return last.node.output[0];
  if (!last.out || !before.out || !before.normalized) return undefined;
  const operators = (from: string, to: string) =>
    index
      .nodesBetween(from, to)
      .map((n) => n.opType)
      .sort()
      .join();
  const norm = operators(before.out, before.normalized);
  for (const node of index.nodesBetween(last.out, logits)) {
    const output = node.output[0];
    if (output && readsOnly(index, output, last.out) && operators(last.out, output) === norm) return output;
  }
  return undefined;
}

export function findResidualStream(index: GraphIndex, logits: string): ResidualStream | undefined {
  let step = nearestResidualStep(index, logits);
  if (!step) return undefined;
  const steps: ResidualStep[] = [];
  for (;;) {
    steps.unshift(step);
    const previous = skipThrough(index, step.residualIn);
    const p = index.producer(previous);
    const next = p && residualStep(index, p.node, p.index);
    // Pre-norm: the write before added to the stream this one reads. Post-norm: it was normalized first.
    const before = next && next.out === previous ? next : normalizedWrite(index, previous);
    if (!before) break;
    step = before;
  }
  const [last, before] = [steps[steps.length - 1], steps[steps.length - 2]];
  if (before?.normalized) {
    const normalized = lastNormalized(index, last, before, logits);
    // Without the last norm the blocks' outputs would mix normalized and unnormalized streams.
    if (!normalized) return undefined;
    steps[steps.length - 1] = { ...last, normalized };
  }
  return { embedding: steps[0].residualIn, steps };
}

/**
 * The nodes of a step's branch: computed from the stream tensor R_{k-1} (or from the node that
 * produced it) and used to compute the branch, in graph order.
 */
export function branchNodes(index: GraphIndex, step: ResidualStep): { node: NodeProto; index: number }[] {
  const start = index.producer(step.residualIn)?.index ?? -1;
  const found = new Map<number, NodeProto>();
  const stack = [...step.branch];
  const seen = new Set<string>();
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const p = index.producer(name);
    if (!p || p.index <= start) continue;
    if (!p.node.input.some((input) => input && (input === step.residualIn || dependsOnProducer(index, input, step.residualIn)))) continue;
    found.set(p.index, p.node);
    for (const input of p.node.input) if (input) stack.push(input);
  }
  return [...found.entries()].sort((a, b) => a[0] - b[0]).map(([i, node]) => ({ node, index: i }));
}

/**
 * The stream after a write, as the rest of the model reads it: the norm of R_k in a post-norm
 * model; else R_k, the node's own output, or input + skip (+ bias) added up for a skip norm that
 * hides it.
 */
export function residualTensor(exposer: Exposer, step: ResidualStep): string {
  return step.normalized ?? residualSum(exposer, step);
}

/**
 * R_k itself, the sum a write makes, before any norm: the node's own output, or input + skip (+ bias)
 * added up for a skip norm that hides it (in a post-norm model too, where the stream read after the
 * write is the norm of this).
 */
export function residualSum(exposer: Exposer, step: ResidualStep): string {
  if (step.out) return step.out;
  const em = exposer.em;
  const [input, bias] = step.branch;
  const sum = em.op1('Add', [input, step.residualIn]);
  return bias ? em.op1('Add', [sum, bias]) : sum;
}
