// The graph inputs that carry a run's interventions (see instrument/interventions.ts): for each
// hook tensor, a mask of what to replace and the values to put there, in the tensor's own layout;
// empty for every hook the run leaves alone.
import { ModelLensError } from './errors';
import type { InterventionSite } from './instrument/plan';
import type { PlainTensor, Tensors } from './runner';
import type { Intervention, TensorData } from './types';

const EMPTY_MASK: PlainTensor = { type: 'bool', dims: [0], data: new Uint8Array(0) };
const EMPTY_VALUE: PlainTensor = { type: 'float32', dims: [0], data: new Float32Array(0) };

type Available = Extract<InterventionSite, { mask: string }>;

function failure(message: string, hint?: string): ModelLensError {
  return new ModelLensError({ code: 'unsupported-input', message, hint });
}

/** The site of a hook, or an error that says why it cannot be intervened at. */
export function siteOf(sites: InterventionSite[], hook: string): Available {
  const site = sites.find((s) => s.hooks.includes(hook));
  if (!site)
    throw failure(
      `This model has no hook ${hook} to intervene at.`,
      'Interventions are made at blocks.{L}.attn.hook_z, blocks.{L}.hook_resid_pre / hook_resid_post and blocks.{L}.mlp.hook_post of layers whose parts were found.',
    );
  if ('unavailable' in site) throw failure(`${hook} cannot be intervened at in this model: ${site.unavailable}.`);
  return site;
}

/**
 * [pos, a, b] (TransformerLens' form; b = 1 for two axes) in the site's layout, for one batch
 * row: only [batch, head, pos, d_head] orders it differently.
 */
function toLayout<T extends Float32Array | Uint8Array>(data: T, shape: number[], layout: Available['layout']): { data: T; dims: number[] } {
  if (layout !== 'bhsd') return { data, dims: layout === 'bshd' ? [1, ...shape] : [1, shape[0], shape.slice(1).reduce((a, b) => a * b, 1)] };
  const [n, h, d] = shape;
  const out = new (data.constructor as new (length: number) => T)(data.length);
  for (let p = 0; p < n; p++) for (let i = 0; i < h; i++) out.set(data.subarray((p * h + i) * d, (p * h + i + 1) * d), (i * n + p) * d);
  return { data: out, dims: [1, h, n, d] };
}

/** The mean over positions of [pos, ...], repeated at every position. */
function positionMean(t: TensorData): Float32Array {
  const [n] = t.shape;
  const width = t.data.length / n;
  const mean = new Float32Array(width);
  for (let p = 0; p < n; p++) for (let j = 0; j < width; j++) mean[j] += t.data[p * width + j] / n;
  const out = new Float32Array(t.data.length);
  for (let p = 0; p < n; p++) out.set(mean, p * width);
  return out;
}

interface Cells {
  shape: number[];
  mask: Uint8Array;
  value: Float32Array;
}

/** One run's interventions at each site, in TransformerLens' form ([pos, ...] per hook). */
function cellsOfRun(sites: InterventionSite[], interventions: Intervention[], clean: (hook: string) => TensorData | undefined): Map<Available, Cells> {
  // Several interventions at one hook add up, each setting its own cells.
  const pending = new Map<Available, Cells>();
  for (const intervention of interventions) {
    const site = siteOf(sites, intervention.hook);
    const base = clean(intervention.hook);
    if (!base) throw failure(`The value of ${intervention.hook} in this run is not known, so it cannot be replaced.`);
    const [n, a = 1] = base.shape;
    const width = base.data.length / n;
    const inner = width / a;
    const positions = intervention.positions ?? Array.from({ length: n }, (_, p) => p);
    const indices = intervention.indices ?? Array.from({ length: a }, (_, i) => i);
    const outside = [
      ...positions.filter((p) => !(Number.isInteger(p) && p >= 0 && p < n)),
      ...indices.filter((i) => !(Number.isInteger(i) && i >= 0 && i < a)),
    ];
    if (outside.length)
      throw failure(`${intervention.hook} has ${n} positions and ${a} entries along its second axis; ${outside.join(', ')} is not one of them.`);
    let values: Float32Array;
    if (intervention.mode === 'zero') values = new Float32Array(base.data.length);
    else if (intervention.mode === 'mean') values = positionMean(base);
    else {
      const source = intervention.source;
      if (!source) throw failure(`Patching ${intervention.hook} needs its value from another run.`);
      if (source.shape.join() !== base.shape.join()) {
        throw failure(
          `The run to patch from has ${intervention.hook} of shape [${source.shape.join(', ')}], this one [${base.shape.join(', ')}]: the texts must have as many tokens (${source.shape[0]} and ${n}).`,
          'Patch between texts of the same length in tokens, e.g. a copy with one word changed.',
        );
      }
      values = source.data;
    }
    let cells = pending.get(site);
    if (!cells) pending.set(site, (cells = { shape: base.shape, mask: new Uint8Array(base.data.length), value: new Float32Array(base.data.length) }));
    for (const p of positions) {
      for (const i of indices) {
        const at = p * width + i * inner;
        cells.mask.fill(1, at, at + inner);
        cells.value.set(values.subarray(at, at + inner), at);
      }
    }
  }
  return pending;
}

/**
 * Feeds for every intervention input of the graph, for a batch of runs of one text: `runs[b]`
 * are batch row b's interventions. `clean(hook)` is the hook's value in this text's run without
 * interventions ([pos, ...], TransformerLens' form): its shape, and for mean ablation its mean.
 * A site no run intervenes at is fed empty, so its If passes the tensor through.
 */
export function interventionFeeds(sites: InterventionSite[], runs: Intervention[][], clean: (hook: string) => TensorData | undefined): Tensors {
  const feeds: Tensors = {};
  for (const site of sites) {
    if ('mask' in site) {
      feeds[site.mask] = EMPTY_MASK;
      feeds[site.value] = EMPTY_VALUE;
    }
  }
  const perRun = runs.map((interventions) => cellsOfRun(sites, interventions, clean));
  const used = new Set(perRun.flatMap((cells) => [...cells.keys()]));
  for (const site of used) {
    // A row that leaves the site alone gets a mask of zeros: its row of the tensor passes through.
    const shape = perRun.map((cells) => cells.get(site)).find((c) => c)!.shape;
    const size = shape.reduce((a, b) => a * b, 1);
    const mask = new Uint8Array(size * runs.length);
    const value = new Float32Array(size * runs.length);
    let dims: number[] = [];
    perRun.forEach((cells, b) => {
      const row = cells.get(site) ?? { shape, mask: new Uint8Array(size), value: new Float32Array(size) };
      const laid = toLayout(row.mask, shape, site.layout);
      mask.set(laid.data, b * size);
      value.set(toLayout(row.value, shape, site.layout).data, b * size);
      dims = [runs.length, ...laid.dims.slice(1)];
    });
    feeds[site.mask] = { type: 'bool', dims, data: mask };
    feeds[site.value] = { type: 'float32', dims, data: value };
  }
  return feeds;
}
