// What the engine returns. Tensors are Float32Arrays in row-major order with their shape written
// next to them; activation names follow TransformerLens so its users feel at home.
import type { AttributionPart } from '../shared/attributionParts';
import type { Backend, Prediction } from '../shared/modelInfo';
import type { Token } from './tokenizer';

export type { Token } from './tokenizer';
export type { Activation, AttentionSource, Backend, LayerInfo, ModelInfo, NormInfo, Prediction, RotaryInfo } from '../shared/modelInfo';
export type { AttributionPart } from '../shared/attributionParts';

/** A tensor as it crosses thread boundaries. */
export interface TensorData {
  shape: number[];
  data: Float32Array;
}

export interface AnalyzeOptions {
  /**
   * The hooks to fetch into Analysis.activations, as a names filter (hookFilter in
   * ../shared/hooks.ts: names, `*` for any block; hookGroups has the usual sets). None by default.
   */
  hooks?: readonly string[];
  /**
   * Where the part of the text the caller shows starts, in characters of the requested text (the
   * selection, or a window's own part after its context); default 0. Analysis.firstSelected is its
   * first token.
   */
  selectionStart?: number;
  /** Logit lens top-k for every position (true), or for the selected tokens only ('selection'). */
  lens?: boolean | 'selection';
  /** Attention rollout through the layers (needs attention in every layer). */
  rollout?: boolean;
  /** Alternatives kept per position (default 10). */
  topK?: number;
  /** The raw logits [pos, vocab] (large: for checks and exports). */
  logits?: boolean;
  /** Values to replace inside the model for this run (ablation, patching); none by default. */
  interventions?: Intervention[];
  /**
   * Direct logit attribution of the token at `position` (predicted from the text before it):
   * why the model gave `target` (default: the token there) rather than `foil` (default: its best
   * other prediction).
   */
  attribution?: { position: number; target?: number; foil?: number };
}

export interface Attribution {
  /** The explained token's position; the model predicted it from the stream at position − 1. */
  position: number;
  target: number;
  foil: number;
  /** logit(target) − logit(foil) as the model computed it. */
  measured: number;
  /** The shares, with the final norm's scale frozen at its value in this run; they add up to `sum`. */
  parts: AttributionPart[];
  sum: number;
  /** [position]: each earlier token's share through the heads that were told apart. */
  sources: Float32Array;
  /** What could not be split, and why. */
  notes: string[];
}

/**
 * A change to one hook's value for one run, at token positions (all when absent) and, along the
 * hook's second axis, heads of hook_z or neurons of mlp.hook_post (all when absent).
 * - zero: the value becomes 0 (zero ablation);
 * - mean: the value's mean over the positions of the same text (mean ablation);
 * - patch: the value `source` (the same hook in another run of as many tokens) holds there.
 */
export interface Intervention {
  /** A TransformerLens hook name: blocks.{L}.attn.hook_z, blocks.{L}.hook_resid_pre / hook_resid_post, blocks.{L}.mlp.hook_post. */
  hook: string;
  mode: 'zero' | 'mean' | 'patch';
  positions?: number[];
  indices?: number[];
  /** For patch: [pos, ...] in TransformerLens' form, as Analysis.activations holds it. */
  source?: TensorData;
}

/** Runs of one text, each with its own interventions (LoadedModel.interventionRuns). */
export interface InterventionRuns {
  /** Tokens of the text. */
  tokens: number;
  /** [runs, vocabulary]: each run's logits after the last token. */
  logits: TensorData;
  /** The most runs that shared one forward pass (1: one at a time). */
  batch: number;
}

export interface Analysis {
  modelName: string;
  /** Characters cut from the start of the requested text to fit the model's window. */
  droppedChars: number;
  /** Tokens with [start, end) offsets into the requested text. */
  tokens: Token[];
  /**
   * The first selected token: the first one, not special, that reaches past
   * AnalyzeOptions.selectionStart (a selection that starts inside a token includes it);
   * tokens.length when none does.
   */
  firstSelected: number;
  exactOffsets: boolean;
  /**
   * What prob, rank, entropy and the top predictions are about (ModelInfo.predicts): 'next', the
   * token after; 'masked', the token itself, masked; 'classes', none (see `classes`).
   */
  predicts: Prediction;
  /** P(token i | tokens before i), or for a masked model P(token i | the rest of the text); NaN where nothing predicted it. [pos] */
  prob: Float32Array;
  /** 1-based rank of token i in the distribution that predicted it; 0 where none did. [pos] */
  rank: Int32Array;
  /** Entropy in bits of the distribution that predicted token i; NaN where none did. [pos] */
  entropy: Float32Array;
  /**
   * Top predictions made after token p (for token p + 1); for a masked model, those for token p
   * itself, masked (predictionRow says which row is about a token). [pos, k]
   */
  topIds: Int32Array;
  topProbs: Float32Array;
  topK: number;
  /**
   * TransformerLens-named activations present for this request:
   * blocks.{L}.attn.hook_pattern [head, query, key], blocks.{L}.attn.hook_q/k/v/z [pos, head, d_head],
   * blocks.{L}.hook_resid_pre/post [pos, d_model], blocks.{L}.mlp.hook_post [pos, d_mlp].
   */
  activations: Record<string, TensorData>;
  /** The raw logits, when asked for. [pos, vocab]; a classifier's [1, classes]. */
  logits?: TensorData;
  /** Attention rollout, when asked for and every layer has a pattern. [layer, query, key] */
  rollout?: TensorData;
  /**
   * Logit lens for positions from..end: row 0 is the embedding, row L + 1 the stream after
   * block L. [layer + 1, pos - from, k]
   */
  lens?: { ids: Int32Array; probs: Float32Array; rows: number; k: number; from: number };
  /** Readable text of every id in topIds and the lens, for showing predictions. */
  pieces: Record<number, string>;
  /** Size of the model's output vocabulary. */
  vocab: number;
  /** Milliseconds spent in the runtime's forward pass. */
  forwardMs: number;
  /** Where it ran (a failing WebGPU backend hands over to WebAssembly). */
  backend: Backend;
  /** Why it ran there and not on the backend asked for (ModelInfo.backendFallback). */
  backendFallback?: string;
  /** The interventions this run made (their hooks and where; without patch sources). */
  interventions?: Omit<Intervention, 'source'>[];
  /** When asked for. */
  attribution?: Attribution;
  /** A classifier's class probabilities for the whole text, in class order. */
  classes?: { label: string; prob: number }[];
}

/** The row of Analysis.topIds / topProbs holding the predictions for token i (-1: none). */
export function predictionRow(analysis: Pick<Analysis, 'predicts'>, i: number): number {
  return analysis.predicts === 'masked' ? i : i - 1;
}
