// What a loaded model is, as the engine reports it and the host and the webviews show it.
// (Pure types: the engine, the host and the webviews all import them from here.)

/** Where a layer's attention pattern comes from: a Softmax in the graph, recomputed beside a fused operator, or not at all. */
export type AttentionSource = { kind: 'softmax' } | { kind: 'recomputed'; op: string; detail: string } | { kind: 'unavailable'; reason: string };

/**
 * An activation function: gelu (erf), gelu_tanh (the tanh approximation, FastGelu),
 * quick_gelu (x·σ(αx)), silu (x·σ(x)), relu.
 */
export type Activation = { kind: 'gelu' | 'gelu_tanh' | 'silu' | 'relu'; op: string } | { kind: 'quick_gelu'; op: string; alpha: number };

/**
 * A norm as the model computes it: LayerNorm, (x − mean) / √(var + ε) · γ + β, or RMSNorm,
 * x / √(mean(x²) + ε) · γ; the operator that does it, and its ε where known.
 */
export interface NormInfo {
  kind: 'layer' | 'rms';
  op: string;
  epsilon?: number;
}

/** Where the model runs: ONNX Runtime WebAssembly or native in the worker, or WebGPU in a webview. */
export type Backend = 'wasm' | 'native' | 'webgpu';

/** An execution provider of native ONNX Runtime (modelLens.native.executionProvider without `auto`). */
export type ExecutionProvider = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';

/** The provider a native session runs on, why, and whether it is not the one asked for. */
export interface ProviderUse {
  provider: ExecutionProvider;
  reason: string;
  fallback: boolean;
}

export interface LayerInfo {
  attention: AttentionSource;
  /** For recomputed attention: max |A·V − the fused operator's output| on the check input. */
  checkError?: number;
  /** The norm before the attention and the one before the MLP, where found. */
  ln1?: NormInfo;
  ln2?: NormInfo;
  /** The MLP's activation function, where its operator or nodes say which it is. */
  activation?: Activation;
  /** How the attention rotates q by position (rotary embeddings), where it does and the graph says how. */
  rotary?: RotaryInfo;
}

/** A block's rotary embedding: what rotates q, and which dimensions are rotated together. */
export interface RotaryInfo {
  /** What rotates: com.microsoft RotaryEmbedding, GroupQueryAttention (do_rotary), or 'ONNX arithmetic' (q·cos + rotate_half(q)·sin). */
  op: string;
  /** The dimensions rotated together: (i, i + rotary_dim / 2) ('half', rotate_half) or (2i, 2i + 1) ('interleaved'). */
  pairing: 'half' | 'interleaved';
  /** Heads in q, where the operator says (RotaryEmbedding's num_heads). */
  heads?: number;
}

/**
 * What the model's output is, as the check run found it:
 * - 'next': each position's logits predict the token after it (a decoder: causal attention);
 * - 'masked': every position sees the whole text (bidirectional attention) and its logits are
 *   about the token there: a masked language model (BERT), whose probability of each token is
 *   computed with that token masked;
 * - 'classes': one score per class for the whole text (a sequence classifier).
 */
export type Prediction = 'next' | 'masked' | 'classes';

export interface ModelInfo {
  name: string;
  folder: string;
  /** The .onnx file. */
  file: string;
  /** The folder's other .onnx files (relative to it): what `file` was chosen over. */
  otherFiles: string[];
  fileBytes: number;
  producer: string;
  /** Model family from config.json (e.g. "gpt2", "llama"), when known. */
  architecture?: string;
  precision: string;
  parameters: number;
  layers: number;
  heads: number;
  dModel: number;
  dHead: number;
  dMlp: number;
  vocab: number;
  /** Longest input the model takes, in tokens. */
  positions: number;
  backend: Backend;
  /** Why the model runs on `backend` and not on the one asked for (a runner that could not start, or failed); absent when it runs where asked. */
  backendFallback?: string;
  threads: number;
  /** Native: the execution provider the model runs on, and why. */
  executionProvider?: ProviderUse;
  predicts: Prediction;
  /**
   * Whether a position sees the tokens after it (an encoder's attention), found by changing the
   * last token of the check text and watching the outputs at the first positions.
   */
  bidirectional: boolean;
  /**
   * Whether the stream is normalized after every write, x = LN(x + f(x)) ("post-norm", as BERT and
   * the encoders after it), rather than before each branch (pre-norm): then no norm lies before the
   * attention, resid_mid is x + attn_out before its norm (ln2), and the norm of a block's MLP sum
   * is the one the engine finds before the next block's branch (ln1 of block L + 1) or the head
   * (ln_final). Absent where the engine did not say (a model described before it did).
   */
  postNorm?: boolean;
  /** A classifier's class names in order (config.json's id2label, else LABEL_0, LABEL_1, …). */
  classLabels?: string[];
  layerInfo: LayerInfo[];
  /** The norm before the unembedding, where found. */
  lnFinal?: NormInfo;
  /** What could not be exposed, and why. */
  notes: string[];
  /** The hooks a run can intervene at (AnalyzeOptions.interventions). */
  interventionHooks: string[];
}
