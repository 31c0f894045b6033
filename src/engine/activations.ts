// A run's outputs under their TransformerLens names (see ../shared/hooks.ts), in the shapes
// Analysis.activations documents: the batch axis dropped, per-head tensors as [pos, head, d_head].
import { hooks } from '../shared/hooks';
import { toPosHeadDim } from './analysis';
import { blockHookExposures, collectBlockHooks } from './instrument/blockHooks';
import type { Exposure, InstrumentationPlan } from './instrument/plan';
import type { Tensors } from './runner';
import type { TensorData } from './types';

function tensor(t: Tensors[string] | undefined, keep: number): TensorData | undefined {
  if (!t) return undefined;
  // Drop the batch axis (always 1) from [1, ...].
  return { shape: t.dims.slice(t.dims.length - keep), data: t.data as Float32Array };
}

/** Every hook the plan exposes, with the tensor that holds it (resid_pre of a block is resid_post of the one before). */
export function hookExposures(plan: InstrumentationPlan): [string, Exposure][] {
  const out: [string, Exposure | undefined][] = [[hooks.residPre(0), plan.embedding]];
  plan.layers.forEach((layer, L) => {
    out.push(
      ...(['pattern', 'q', 'k', 'v', 'z'] as const).map((w): [string, Exposure | undefined] => [hooks.attn(L, w), layer[w]]),
      [hooks.residPost(L), layer.residPost],
      [hooks.residPre(L + 1), L + 1 < plan.layers.length ? layer.residPost : undefined],
      [hooks.mlpPost(L), layer.mlpPost],
    );
  });
  return [...out.filter((e): e is [string, Exposure] => !!e[1]), ...blockHookExposures(plan)];
}

/** Runtime outputs under their TransformerLens names. */
export function collectActivations(plan: InstrumentationPlan, outputs: Tensors): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  const put = (name: string, value: TensorData | undefined) => value && (out[name] = value);
  const embedding = plan.embedding && tensor(outputs[plan.embedding.output], 2);
  put(hooks.residPre(0), embedding);
  plan.layers.forEach((layer, L) => {
    put(hooks.attn(L, 'pattern'), layer.pattern && tensor(outputs[layer.pattern.output], 3));
    for (const [key, e] of [
      ['q', layer.q],
      ['k', layer.k],
      ['v', layer.v],
      ['z', layer.z],
    ] as const) {
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
