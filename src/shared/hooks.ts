// The names of the places inside a model that Model Lens reads and can change, written once.
// They are TransformerLens' hook names (hook_points.py), so that what a user learns here carries
// over to a notebook: blocks.{L}.attn.hook_pattern, blocks.{L}.hook_resid_pre, ...

/** Per-head tensors of a block's attention. */
export type AttentionHook = 'pattern' | 'q' | 'k' | 'v' | 'z';

/** A block's two norms: ln1 before the attention, ln2 before the MLP. */
export type BlockNorm = 'ln1' | 'ln2';
/**
 * What a norm exposes, as TransformerLens' LayerNorm / RMSNorm: `scale` [pos, 1], the standard
 * deviation √(var + ε) (LayerNorm) or the root mean square √(mean(x²) + ε) (RMSNorm) it divides by;
 * `normalized` [pos, d_model], its output with γ (and β) applied.
 */
export type NormHook = 'scale' | 'normalized';
/** A norm's weights: w = γ, b = β (LayerNorm only). */
export type NormWeight = 'w' | 'b';
/** What the walk reads of a rotary embedding (see hooks.rotary). */
export type RotaryHook = 'cos' | 'sin' | 'q_in' | 'q_out';

/** A block's index, or `*` for every block in a names filter (see hookFilter). */
export type Layer = number | '*';

export const hooks = {
  /** [head, query, key], or [pos, head, d_head] for q, k, v and z (z: A·V before the output projection). */
  attn: (layer: Layer, which: AttentionHook) => `blocks.${layer}.attn.hook_${which}`,
  /** [pos, d_model]: the residual stream entering block L (for L = 0, the embedding). */
  residPre: (layer: Layer) => `blocks.${layer}.hook_resid_pre`,
  /** [pos, d_model]: the residual stream after block L's attention was added, before its MLP. */
  residMid: (layer: Layer) => `blocks.${layer}.hook_resid_mid`,
  /** [pos, d_model]: the residual stream after block L. */
  residPost: (layer: Layer) => `blocks.${layer}.hook_resid_post`,
  /** [pos, d_model]: what block L's attention adds to the stream (after W_O and its bias). */
  attnOut: (layer: Layer) => `blocks.${layer}.hook_attn_out`,
  /** [pos, d_model]: what block L's MLP adds to the stream (after W_out and its bias). */
  mlpOut: (layer: Layer) => `blocks.${layer}.hook_mlp_out`,
  /** [pos, d_mlp]: the MLP's input of its activation function (for a gated MLP, the gate's). */
  mlpPre: (layer: Layer) => `blocks.${layer}.mlp.hook_pre`,
  /** [pos, d_mlp]: a gated MLP's "up" projection, which multiplies act(gate) (TransformerLens' GatedMLP). */
  mlpPreLinear: (layer: Layer) => `blocks.${layer}.mlp.hook_pre_linear`,
  /** [pos, d_mlp]: the MLP's hidden activation, the input of its down projection. */
  mlpPost: (layer: Layer) => `blocks.${layer}.mlp.hook_post`,
  /** A block's norm (see NormHook). */
  norm: (layer: Layer, norm: BlockNorm, which: NormHook) => `blocks.${layer}.${norm}.hook_${which}`,
  /** The final norm, before the unembedding (see NormHook). */
  lnFinal: (which: NormHook) => `ln_final.hook_${which}`,
  /** [d_model]: a block norm's weights, γ (w) and β (b), under TransformerLens' parameter names. */
  normWeight: (layer: Layer, norm: BlockNorm, which: NormWeight) => `blocks.${layer}.${norm}.${which}`,
  /** [d_model]: the final norm's γ (w) and β (b). */
  lnFinalWeight: (which: NormWeight) => `ln_final.${which}`,
  /**
   * A rotary block's rotation of q (Model Lens' names; TransformerLens calls q after it hook_rot_q):
   * `cos` and `sin` [pos, rotary_dim / 2], each frequency's angle at each position as the model
   * applies it; `q_in` and `q_out` [pos, heads · head width], q before and after, where the graph holds both.
   */
  rotary: (layer: Layer, which: RotaryHook) => `blocks.${layer}.attn.rotary.hook_${which}`,
  /** [pos, d_model]: the token embedding's rows of the tokens. */
  embed: 'hook_embed',
  /** [pos, d_model]: the position embedding's rows of the positions, when the model adds one. */
  posEmbed: 'hook_pos_embed',
} as const;

export type HookKind =
  | 'attn.pattern'
  | 'attn.q'
  | 'attn.k'
  | 'attn.v'
  | 'attn.z'
  | 'resid_pre'
  | 'resid_mid'
  | 'resid_post'
  | 'attn_out'
  | 'mlp_out'
  | 'mlp.pre'
  | 'mlp.post'
  | `${BlockNorm}.${NormHook}`;

const HOOK =
  /^blocks\.(\d+)\.(attn\.hook_(pattern|q|k|v|z)|hook_(resid_pre|resid_mid|resid_post|attn_out|mlp_out)|mlp\.hook_(pre|post)|(ln1|ln2)\.hook_(scale|normalized))$/;

/** The layer and kind of a block's hook name, or undefined for a name that is not one. */
export function parseHook(name: string): { layer: number; kind: HookKind } | undefined {
  const m = HOOK.exec(name);
  if (!m) return undefined;
  const kind = m[3] ? `attn.${m[3]}` : m[4] ? m[4] : m[5] ? `mlp.${m[5]}` : `${m[6]}.${m[7]}`;
  return { layer: Number(m[1]), kind: kind as HookKind };
}

/**
 * A names filter, as TransformerLens' `run_with_cache(names_filter=…)` takes one: hook names, where
 * `*` stands for any block (`blocks.*.attn.hook_pattern`). An analysis fetches only what it names.
 */
export function hookFilter(names: readonly string[]): (name: string) => boolean {
  const exact = new Set(names.filter((n) => !n.includes('*')));
  const patterns = names
    .filter((n) => n.includes('*'))
    .map(
      (n) =>
        new RegExp(
          `^${n
            .split('*')
            .map((part) => part.replace(/[.]/g, '\\.'))
            .join('\\d+')}$`,
        ),
    );
  return (name) => exact.has(name) || patterns.some((p) => p.test(name));
}

const ATTENTION_HOOKS: readonly AttentionHook[] = ['pattern', 'q', 'k', 'v', 'z'];
const NORMS: readonly BlockNorm[] = ['ln1', 'ln2'];

/** The hooks the views ask for together, as names filters. */
export const hookGroups = {
  /** Every block's attention pattern and q, k, v, z. */
  attention: ATTENTION_HOOKS.map((w) => hooks.attn('*', w)),
  /** The residual stream between blocks and the MLPs' hidden activations. */
  activations: [hooks.residPre('*'), hooks.residPost('*'), hooks.mlpPost('*')],
  /**
   * The other hooks inside each block, for views that walk a block step by step: the embeddings,
   * each norm's scale, output and weights, the attention's and the MLP's writes, resid_mid, the
   * MLP's pre-activations and the rotary angles. Computed only when one of them is asked for:
   * they are several times the activations' size.
   */
  block: [
    hooks.embed,
    hooks.posEmbed,
    ...(['scale', 'normalized'] as const).map((w) => hooks.lnFinal(w)),
    ...(['w', 'b'] as const).map((w) => hooks.lnFinalWeight(w)),
    ...NORMS.flatMap((n) => [
      ...(['scale', 'normalized'] as const).map((w) => hooks.norm('*', n, w)),
      ...(['w', 'b'] as const).map((w) => hooks.normWeight('*', n, w)),
    ]),
    hooks.attnOut('*'),
    hooks.residMid('*'),
    hooks.mlpPre('*'),
    hooks.mlpPreLinear('*'),
    hooks.mlpOut('*'),
    ...(['cos', 'sin', 'q_in', 'q_out'] as const).map((w) => hooks.rotary('*', w)),
  ],
} as const;
