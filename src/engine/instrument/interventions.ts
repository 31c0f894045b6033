// Interventions at the hooks, as inputs of the instrumented graph: a run may replace a hook
// tensor's value at chosen positions (and heads, or neurons) — zero or mean ablation, or patching
// from another run — with no second model. The hook tensor T keeps its name but changes maker:
// the model's node that made it now outputs a twin of the same length (renamed in place, see
// onnx/renameOutputs.ts), and an If added here outputs T again: Where(mask, value, twin) when a
// mask is fed, the twin itself when the mask is empty. Every node that read T — the model's own
// and the instrumentation's — reads the intervened value, as the rest of a model sees a
// TransformerLens hook's output. Fed empty masks, the If passes the tensor through unchanged.
import type { GraphIndex } from '../onnx/graph';
import { makeNode, type Emitter } from '../onnx/emit';
import { DataType, FLOAT_TYPES, type ValueInfo } from '../onnx/model';
import { sameLengthName } from '../onnx/renameOutputs';
import type { InterventionSite, TensorLayout } from './plan';

/** A hook tensor that interventions could replace. */
export interface Candidate {
  tensor: string;
  /** The TransformerLens names it answers to (the stream after block L is also block L + 1's input). */
  hooks: string[];
  /** 'bsd': [batch, pos, width]. */
  layout: TensorLayout | 'bsd';
}

/** Graph inputs of a site: `${INTERVENTION_INPUT}_${n}_mask` and `_value`. */
export const INTERVENTION_INPUT = 'modellens_intervention';

/** Why replacing `tensor` alone would not change what the model computes from it, if so. */
function unfaithful(index: GraphIndex, tensor: string): string | undefined {
  const p = index.producer(tensor);
  if (!p) return 'the tensor is an input of the graph, not made by a node';
  const type = index.elemType(tensor);
  if (type !== undefined && !FLOAT_TYPES.has(type)) return 'the tensor is not a floating-point tensor';
  const sibling = p.node.output.find((o) => o && o !== tensor && index.consumers(o).length > 0);
  if (sibling) {
    return `${p.node.opType} computes it together with ${sibling}, which the model reads too: replacing it alone would leave that one as it was`;
  }
  return undefined;
}

/**
 * Makes each candidate replaceable, or says why it cannot be. `renames` maps each hook tensor to
 * the twin its maker must output instead (renamed in the model's bytes by the caller).
 */
export function addInterventions(
  index: GraphIndex,
  em: Emitter,
  candidates: Candidate[],
): { sites: InterventionSite[]; inputs: ValueInfo[]; renames: Map<string, string> } {
  const sites: InterventionSite[] = [];
  const inputs: ValueInfo[] = [];
  const renames = new Map<string, string>();
  const taken = (name: string) => index.isDefined(name) || [...renames.values()].includes(name);
  for (const c of candidates) {
    const reason = unfaithful(index, c.tensor);
    const twin = reason ? undefined : sameLengthName(c.tensor, taken);
    if (!twin) {
      sites.push({ hooks: c.hooks, unavailable: reason ?? 'no other name of the same length is free in the graph' });
      continue;
    }
    renames.set(c.tensor, twin);
    const n = sites.length;
    const mask = `${INTERVENTION_INPUT}_${n}_mask`;
    const value = `${INTERVENTION_INPUT}_${n}_value`;
    // No shape: an empty [0] is fed when nothing is replaced, the tensor's own shape otherwise.
    inputs.push({ name: mask, elemType: DataType.BOOL }, { name: value, elemType: DataType.FLOAT });
    const type = index.elemType(c.tensor) ?? DataType.FLOAT;
    const replace = em.graph(() => [{ name: em.op1('Where', [mask, type === DataType.FLOAT ? value : em.cast(value, type), twin]), elemType: type }]);
    const keep = em.graph(() => [{ name: em.op1('Identity', [twin]), elemType: type }]);
    const fed = em.op1('Greater', [em.op1('Size', [mask]), em.constant(DataType.INT64, [], [0])]);
    // Named by the emitter: the node that made the tensor may carry the tensor's name as its own.
    em.nodes.push(makeNode('If', [fed], [c.tensor], { then_branch: replace, else_branch: keep }, '', em.fresh('intervention')));
    sites.push({ hooks: c.hooks, layout: c.layout, mask, value });
  }
  return { sites, inputs, renames };
}
