// What the instrumented graph exposes and how to read it back. A plan is made once per model
// from the graph alone; the worker uses it to pick outputs after every run.
import type { Activation, AttentionSource, RotaryInfo } from '../../shared/modelInfo';

/**
 * How an exposed per-head tensor is laid out, so the analysis can turn it into
 * TransformerLens' [pos, head, d_head]: b = batch, h = head, s = position, d = d_head,
 * D = head × d_head packed in one axis.
 */
export type TensorLayout = 'bhsd' | 'bshd' | 'bhds' | 'bsD';

export interface Exposure {
  /** The graph's own tensor. */
  tensor: string;
  /** Name of the graph output to fetch (always float32). */
  output: string;
  layout?: TensorLayout;
  /** Heads packed in a 'bsD' tensor. */
  heads?: number;
}

export interface LayerPlan {
  attention: AttentionSource;
  /** [batch, head, query, key] */
  pattern?: Exposure;
  q?: Exposure;
  k?: Exposure;
  v?: Exposure;
  /** A·V before the output projection; for a fused operator, the operator's own output. */
  z?: Exposure;
  /** [batch, pos, d_model]: the residual stream after this block. */
  residPost?: Exposure;
  /** [batch, pos, d_mlp]: the MLP's hidden activation, the input of its down projection. */
  mlpPost?: Exposure;
  /** The norm before the attention, and the one before the MLP (see NormPlan). */
  ln1?: NormPlan;
  ln2?: NormPlan;
  /** [batch, pos, d_model]: the attention's write to the stream (with the bias a fused norm adds). */
  attnOut?: Exposure;
  /** [batch, pos, d_model]: the stream after the attention's write, before the MLP's. */
  residMid?: Exposure;
  /** [batch, pos, d_mlp]: the input of the MLP's activation function (for a gated MLP, the gate's). */
  mlpPre?: Exposure;
  /** [batch, pos, d_mlp]: a gated MLP's "up" projection, the factor act(gate) is multiplied by. */
  mlpPreLinear?: Exposure;
  /** The MLP's activation function, when its operator or nodes say which it is (for a gated MLP, the gate's). */
  activation?: Activation;
  /** [batch, pos, d_model]: the MLP's write to the stream (with the bias a fused norm adds). */
  mlpOut?: Exposure;
  /** How the attention rotates q by position, where it does (rotary embeddings). */
  rotary?: RotaryPlan;
}

/**
 * A block's rotary embedding, as the model applies it to q (and k): pairs of dimensions of each
 * head are rotated by an angle per frequency that grows with the position.
 */
export interface RotaryPlan extends RotaryInfo {
  /** [batch, pos, rotary_dim / 2]: cos and sin of each frequency's angle at each position, the values the model applies. */
  cos: Exposure;
  sin: Exposure;
  /** [batch, pos, heads · head width]: q before and after the rotation, where the graph holds both. */
  qIn?: Exposure;
  qOut?: Exposure;
}

/**
 * A LayerNorm ((x − mean) / scale · γ + β) or RMSNorm (x / scale · γ) of the stream, and the
 * operator that computes it. `scale` [batch, pos, 1] is the model's own tensor where the graph has
 * one, else recomputed from the norm's input with the operator's epsilon; `normalized`
 * [batch, pos, d_model] is the norm's output.
 */
export interface NormPlan {
  kind: 'layer' | 'rms';
  op: string;
  epsilon?: number;
  /** γ and β: the model's weights, [d_model]. */
  gamma?: string;
  beta?: string;
  scale?: Exposure;
  normalized?: Exposure;
  /** γ and β themselves, [d_model], for views that show the norm's arithmetic. */
  w?: Exposure;
  b?: Exposure;
}

export interface LensPlan {
  /**
   * Graph inputs, one per chunk, each int64 [rows] (a chunk fed none is skipped): rows of the
   * stacked stream [layer + 1, pos] (flattened) to run the lens on. The engine feeds every layer at
   * positions from..end, layer-major, split in order across the chunks.
   */
  rowsInputs: string[];
  /** How many residual streams the lens reads: the embedding, then the stream after each block. */
  streams: number;
  /** [rows, k]: the chunks' rows in order; for the engine's, [layer + 1, n, k], row L + 1 the stream after block L. */
  probs: string;
  ids: string;
  k: number;
}

/** Next-token statistics computed in the graph (see nextToken.ts). */
export interface NextTokenPlan {
  /** int64 [pos]: the token after each position (any valid id for the last). */
  targetsInput: string;
  /** int64 [1]: how many predictions to keep. */
  topKInput: string;
  /** [pos, k] float32 / int32. */
  topProbs: string;
  topIds: string;
  /** [pos, 1]: entropy of the prediction in bits. */
  entropy: string;
  /** [pos, 1]: probability of the target, and how many tokens the model found more likely. */
  targetProb: string;
  above: string;
}

/**
 * A hook tensor a run can replace (see interventions.ts): graph inputs `mask` (bool) and `value`
 * (float32), both of the tensor's shape in its `layout` ('bsd': [batch, pos, width]), or empty
 * to leave it as it is. Or why it cannot be replaced.
 */
export type InterventionSite = { hooks: string[]; layout: TensorLayout | 'bsd'; mask: string; value: string } | { hooks: string[]; unavailable: string };

export interface InstrumentationPlan {
  layers: LayerPlan[];
  /** Every hook a run can intervene at, and the ones it cannot, with why. */
  interventions: InterventionSite[];
  /** [batch, pos, vocab], float32; a classifier's [batch, classes]. */
  logits: string;
  /** The logits are a sequence classifier's class scores, not token predictions. */
  classes: boolean;
  /** The stream is normalized after every write, LN(x + f(x)) (BERT and the encoders after it): ModelInfo.postNorm. */
  postNorm?: boolean;
  nextToken?: NextTokenPlan;
  /** [batch, pos, d_model]: the stream before block 0. */
  embedding?: Exposure;
  /** [batch, pos, d_model] (or [pos, d_model]): the token embedding's rows, and the position table's when the model adds one. */
  embed?: Exposure;
  posEmbed?: Exposure;
  /** The norm between the last block and the unembedding. */
  lnFinal?: NormPlan;
  /**
   * int64 [n] graph input: fed non-empty, the tensors the block hooks compute (recomputed norm
   * scales, embeddings, sums with a fused bias) are computed; fed empty, they are not.
   */
  blockHooksInput?: string;
  lens?: LensPlan;
  attribution?: AttributionPlan;
  /** Why something could not be exposed (the residual stream, the lens...), for the user. */
  notes: string[];
}

export interface AttentionExposures {
  source: AttentionSource;
  pattern?: Exposure;
  q?: Exposure;
  k?: Exposure;
  v?: Exposure;
  z?: Exposure;
}

/** What a row of the components is: the embedding, a write of a block, or a bias added with one. */
export interface ComponentRow {
  kind: 'embed' | 'attn' | 'mlp' | 'block' | 'bias';
  layer?: number;
}

export interface AttributionPlan {
  /** int64 [1]: the position whose prediction is explained. */
  positionInput: string;
  /** int64 [2]: target and foil ids (a foil of -1: the model's best prediction other than the target); empty, nothing is computed. */
  tokensInput: string;
  /** [1, 2]: target and foil ids as used (float32, exact for any vocabulary below 2²⁴). */
  tokens: string;
  /** [rows, d_model]: each component's value at the position; they add up to `stream`. */
  components: string;
  rows: ComponentRow[];
  /** Per layer whose heads can be told apart: [heads, d_model] at the position, and [heads, pos] per source token. */
  heads: { layer: number; output: string; sourceProjection: string; sourceMean: string }[];
  /** Why the heads of other layers are not told apart. */
  headNotes: string[];
  /** [1, d_model]: the final residual stream at the position. */
  stream: string;
  /** [1, 2]: the model's own logits of target and foil at the position. */
  logits: string;
  /** [d_model, 2]: the unembedding's columns of target and foil; [1, 2] its bias, when it has one. */
  unembed: string;
  unembedBias?: string;
  /** [1, d_model]: the final norm's scale and, for LayerNorm, its shift. */
  gamma: string;
  beta?: string;
  norm: 'layer' | 'rms';
  epsilon: number;
}
