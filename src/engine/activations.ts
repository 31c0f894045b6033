// A run's outputs under their TransformerLens names (see ../shared/hooks.ts), in the shapes
// Analysis.activations documents: the batch axis dropped, per-head tensors as [pos, head, d_head].
import { hooks } from '../shared/hooks';
import { toPosHeadDim } from './analysis';
import { collectBlockHooks } from './instrument/blockHooks';
import type { InstrumentationPlan } from './instrument/plan';
import type { Tensors } from './runner';
import type { TensorData } from './types';

function tensor(t: Tensors[string] | undefined, keep: number): TensorData | undefined {
  if (!t) return undefined;
  // Drop the batch axis (always 1) from [1, ...].
  return { shape: t.dims.slice(t.dims.length - keep), data: t.data as Float32Array };
}

/** Runtime outputs under their TransformerLens names. */
export function collectActivations(plan: InstrumentationPlan, outputs: Tensors): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  const put = (name: string, value: TensorData | undefined) => value && (out[name] = value);
  const embedding = plan.embedding && tensor(outputs[plan.embedding.output], 2);
  put(hooks.residPre(0), embedding);
  plan.layers.forEach((layer, L) => {
    put(hooks.attn(L, 'pattern'), layer.pattern && tensor(outputs[layer.pattern.output], 3));
    for (const [key, e] of [['q', layer.q], ['k', layer.k], ['v', layer.v], ['z', layer.z]] as const) {
      const t = e && outputs[e.output];
      if (t && e.layout) put(hooks.attn(L, key), toPosHeadDim(t.data as Float32Array, t.dims, e.layout, e.heads));
    }
    const resid = layer.residPost && tensor(outputs[layer.residPost.output], 2);
    put(hooks.residPost(L), resid);
    if (L + 1 < plan.layers.length) put(hooks.residPre(L + 1), resid);
    put(hooks.mlpPost(L), layer.mlpPost && tensor(outputs[layer.mlpPost.output], 2));
  });
  return { ...out, ...collectBlockHooks(plan, outputs) };
}
