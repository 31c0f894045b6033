// The names of the places inside a model that Model Lens reads and can change, written once.
// They are TransformerLens' hook names (hook_points.py), so that what a user learns here carries
// over to a notebook: blocks.{L}.attn.hook_pattern, blocks.{L}.hook_resid_pre, ...

/** Per-head tensors of a block's attention. */
export type AttentionHook = 'pattern' | 'q' | 'k' | 'v' | 'z';

export const hooks = {
  /** [head, query, key], or [pos, head, d_head] for q, k, v and z (z: A·V before the output projection). */
  attn: (layer: number, which: AttentionHook) => `blocks.${layer}.attn.hook_${which}`,
  /** [pos, d_model]: the residual stream entering block L (for L = 0, the embedding). */
  residPre: (layer: number) => `blocks.${layer}.hook_resid_pre`,
  /** [pos, d_model]: the residual stream after block L. */
  residPost: (layer: number) => `blocks.${layer}.hook_resid_post`,
  /** [pos, d_mlp]: the MLP's hidden activation, the input of its down projection. */
  mlpPost: (layer: number) => `blocks.${layer}.mlp.hook_post`,
} as const;

export type HookKind = 'attn.pattern' | 'attn.q' | 'attn.k' | 'attn.v' | 'attn.z' | 'resid_pre' | 'resid_post' | 'mlp.post';

const HOOK = /^blocks\.(\d+)\.(attn\.hook_(pattern|q|k|v|z)|hook_resid_pre|hook_resid_post|mlp\.hook_post)$/;

/** The layer and kind of a hook name, or undefined for a name that is not one. */
export function parseHook(name: string): { layer: number; kind: HookKind } | undefined {
  const m = HOOK.exec(name);
  if (!m) return undefined;
  const kind = m[3] ? (`attn.${m[3]}` as HookKind) : m[2] === 'mlp.hook_post' ? 'mlp.post' : (m[2].slice('hook_'.length) as HookKind);
  return { layer: Number(m[1]), kind };
}
