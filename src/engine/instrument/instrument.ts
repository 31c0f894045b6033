// Plans what to expose in a model and builds the graph suffix that exposes it: attention per
// layer, the residual stream, MLP activations, and the logit lens, all found from the graph.
import { ModelLensError } from '../errors';
import type { GraphIndex } from '../onnx/graph';
import { DataType, FLOAT_TYPES, type GraphSuffix, type ValueInfo } from '../onnx/model';
import { Emitter } from '../onnx/emit';
import { hooks } from '../../shared/hooks';
import { exposeAttention, findAttentionAnchor } from './attention';
import { groupBlocks, mlpHiddenActivation, type Block } from './blocks';
import { Exposer } from './exposer';
import { buildAttribution } from './attribution';
import { addBlockHooks, type BlockHooks } from './blockHooks';
import { addInterventions, type Candidate } from './interventions';
import { buildLens } from './lens';
import { buildNextTokenStats } from './nextToken';
import type { AttentionExposures, AttributionPlan, Exposure, InstrumentationPlan, InterventionSite, LayerPlan, LensPlan } from './plan';
import { findResidualStream, residualTensor } from './residual';

export interface Instrumented {
  plan: InstrumentationPlan;
  suffix: GraphSuffix;
  /** Node outputs of the model to rename (to a name of the same length) for the interventions. */
  renames: Map<string, string>;
}

/**
 * The logits output: named so by nearly every exporter, else a float output of rank 3 whose
 * last axis is at least as wide as the tokenizer's vocabulary. `classes`: a sequence classifier's
 * scores [batch, classes] instead, one row for the whole text.
 */
export function findLogits(index: GraphIndex, file: string, tokenizerVocab: number): { name: string; classes: boolean } {
  const outputs = index.outputs;
  const named = outputs.find((o) => o.name === 'logits') ?? outputs.find((o) => /logits/i.test(o.name));
  const wide = (o: ValueInfo) => {
    const last = o.shape?.[o.shape.length - 1];
    return o.shape?.length === 3 && typeof last === 'number' && last >= tokenizerVocab && (o.elemType === undefined || FLOAT_TYPES.has(o.elemType));
  };
  const found = named ?? outputs.find(wide);
  if (!found) {
    throw new ModelLensError({
      code: 'no-logits',
      message: `The model has no logits output (its outputs are: ${outputs.map((o) => o.name).join(', ') || 'none'}).`,
      file,
      hint: 'Model Lens needs a language model whose graph outputs next-token logits [batch, sequence, vocabulary]; export it with its language-model head (e.g. Optimum task "text-generation").',
    });
  }
  // Rank 2 is a classifier's [batch, classes]: its scores are read as classes, never as a
  // vocabulary (its few columns would index out of range in the graph's statistics).
  if (found.shape?.length === 2) return { name: found.name, classes: true };
  if (found.shape && found.shape.length !== 3) {
    const shape = `[${found.shape.map((d) => d ?? '?').join(', ')}]`;
    throw new ModelLensError({
      code: 'no-logits',
      message: `The model's output ${found.name} is ${shape}, neither logits for every position [batch, sequence, vocabulary] nor class scores [batch, classes].`,
      file,
      hint: 'Model Lens reads language models and sequence classifiers; export the model with its head (e.g. Optimum task "text-generation", "fill-mask" or "text-classification").',
    });
  }
  return { name: found.name, classes: false };
}

/** Why the token views of a classifier are missing: its head reads the whole text at once. */
const CLASSIFIER_NOTE =
  "the logit lens, token probabilities and direct logit attribution are unavailable: the model's head scores classes for the whole text, it does not predict tokens";
/** Why attribution needs more than the writes of a post-norm model. */
const POST_NORM_NOTE =
  'direct logit attribution is unavailable: the model normalizes the stream after every block (post-norm), so the blocks’ writes do not add up to what its head reads';

function layerPlan(index: GraphIndex, exposer: Exposer, block: Block, resid: string, residualType: DataType, notes: string[], layer: number): LayerPlan {
  const attention: AttentionExposures = exposeAttention(index, exposer, block.anchor);
  const { input: mlp, note } = mlpHiddenActivation(index, block);
  if (note) notes.push(`${hooks.mlpPost(layer)} is unavailable: ${note}`);
  return {
    attention: attention.source,
    pattern: attention.pattern,
    q: attention.q,
    k: attention.k,
    v: attention.v,
    z: attention.z,
    residPost: exposer.expose(resid, undefined, undefined, residualType),
    mlpPost: mlp ? exposer.expose(mlp) : undefined,
  };
}

/**
 * The hook tensors interventions may replace: the residual stream between blocks (a model tensor
 * only: a fused norm may keep it inside), each head's output before the output projection, and
 * each MLP's hidden activation.
 */
function interventionCandidates(layers: LayerPlan[], streams: (string | undefined)[]): { candidates: Candidate[]; missing: InterventionSite[] } {
  const candidates: Candidate[] = [];
  const missing: InterventionSite[] = [];
  streams.forEach((tensor, i) => {
    const names = [...(i > 0 ? [hooks.residPost(i - 1)] : []), ...(i < layers.length ? [hooks.residPre(i)] : [])];
    if (tensor) candidates.push({ tensor, hooks: names, layout: 'bsd' });
    else missing.push({ hooks: names, unavailable: 'the residual stream here exists only inside a fused norm (it has no sum output)' });
  });
  layers.forEach((layer, L) => {
    if (layer.z?.layout) candidates.push({ tensor: layer.z.tensor, hooks: [hooks.attn(L, 'z')], layout: layer.z.layout });
    if (layer.mlpPost) candidates.push({ tensor: layer.mlpPost.tensor, hooks: [hooks.mlpPost(L)], layout: 'bsd' });
  });
  return { candidates, missing };
}

/** Without a residual stream, attention is still shown: every anchor in graph order is a layer. */
function attentionOnlyLayers(index: GraphIndex, exposer: Exposer): LayerPlan[] {
  const layers: LayerPlan[] = [];
  index.nodes.forEach((node, position) => {
    const anchor = findAttentionAnchor(index, [{ node, index: position }]);
    if (!anchor) return;
    const attention = exposeAttention(index, exposer, anchor);
    layers.push({ attention: attention.source, pattern: attention.pattern, q: attention.q, k: attention.k, v: attention.v, z: attention.z });
  });
  return layers;
}

/** `lensChunks`: how many chunks the lens' rows run in (see LENS_CHUNKS). */
export function instrument(index: GraphIndex, file: string, tokenizerVocab: number, lensTopK: number, lensChunks: number): Instrumented {
  const em = new Emitter(index.opset);
  const exposer = new Exposer(index, em);
  const { name: logits, classes } = findLogits(index, file, tokenizerVocab);
  const notes: string[] = classes ? [CLASSIFIER_NOTE] : [];
  const stream = findResidualStream(index, logits);
  let layers: LayerPlan[];
  let embedding: Exposure | undefined;
  let lens: LensPlan | undefined;
  let attribution: AttributionPlan | undefined;
  let blockHooks: BlockHooks | undefined;
  let streams: (string | undefined)[] = [];
  const inputs: ValueInfo[] = [];
  if (!stream) {
    notes.push('The residual stream could not be traced from the logits back to the embedding, so activations and the logit lens are unavailable.');
    layers = attentionOnlyLayers(index, exposer);
  } else {
    const residualType = index.elemType(stream.embedding) ?? DataType.FLOAT;
    const blocks = groupBlocks(index, stream);
    const after = blocks.map((b) => residualTensor(exposer, b.steps[b.steps.length - 1]));
    layers = blocks.map((block, i) => layerPlan(index, exposer, block, after[i], residualType, notes, i));
    embedding = exposer.expose(stream.embedding);
    blockHooks = addBlockHooks(index, exposer, stream, blocks, layers, after, logits);
    notes.push(...blockHooks.notes);
    if (blockHooks.input) inputs.push(blockHooks.input);
    // The streams a run can replace: the model's own tensors, as the next block reads them
    // (normalized in a post-norm model; none where a fused norm keeps the sum to itself).
    streams = [stream.embedding, ...blocks.map((b) => b.steps[b.steps.length - 1]).map((s) => s.normalized ?? s.out)];
    if (!classes) {
      const built = buildLens(index, exposer, [stream.embedding, ...after], stream.steps[stream.steps.length - 1], logits, lensTopK, lensChunks);
      if (built.note) notes.push(built.note);
      lens = built.plan;
      if (built.inputs) inputs.push(...built.inputs);
      const attributed = stream.steps.some((s) => s.normalized)
        ? { note: POST_NORM_NOTE }
        : buildAttribution(index, exposer, stream.embedding, blocks, layers, after[after.length - 1], logits);
      if ('note' in attributed) notes.push(attributed.note);
      else {
        attribution = attributed.plan;
        inputs.push(...attributed.inputs);
      }
    }
  }
  const logitsExposure = exposer.expose(logits);
  // GatherElements and TopK's k as an input need opset 11; older graphs have the logits read instead.
  const stats = index.opset >= 11 && !classes ? buildNextTokenStats(exposer, logits, index.elemType(logits) ?? DataType.FLOAT) : undefined;
  if (stats) inputs.push(...stats.inputs);
  // Last, so that everything above that reads a hook tensor reads it after the intervention.
  const { candidates, missing } = interventionCandidates(layers, streams);
  const interventions = addInterventions(index, em, candidates);
  inputs.push(...interventions.inputs);
  return {
    plan: {
      layers,
      interventions: [...interventions.sites, ...missing],
      logits: logitsExposure.output,
      classes,
      postNorm: stream?.steps.some((s) => s.normalized) ?? false,
      nextToken: stats?.plan,
      embedding,
      embed: blockHooks?.embed,
      posEmbed: blockHooks?.posEmbed,
      lnFinal: blockHooks?.lnFinal,
      blockHooksInput: blockHooks?.input?.name,
      lens,
      attribution,
      notes,
    },
    suffix: { node: em.nodes, initializer: em.initializers, input: inputs, output: exposer.outputs },
    renames: interventions.renames,
  };
}
