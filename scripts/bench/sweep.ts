// The activation patching sweep's cost (child role `sweep`): a whole sweep of one text pair, every
// residual stream position and every head as the Compare With Another Text command runs them,
// against uninstrumented forward passes of the same text in the same batches and process, in
// alternating rounds (ratios within a round, medians reported). The process' peak RSS is read
// after the first sweep, before the uninstrumented session exists: what the sweep costs alone.
import { LensRunner, PlainRunner, type Inputs } from './runners';
import type { RowSpec } from './rows';
import { peakRssBytes } from './stats';

export interface SweepSpec extends Omit<RowSpec, 'sizes' | 'inputs'> {
  n: number;
  clean: Inputs;
  corrupted: Inputs;
  runs: number;
}

export interface SweepResult {
  n: number;
  /** Runs in one sweep: the two texts' analyses and one per patched cell. */
  passes: number;
  /** The most runs that shared a forward pass (1: one at a time). */
  batch: number;
  /** Forward passes those runs took. */
  forwardPasses: number;
  sweepMs: number[];
  /** Uninstrumented forward passes of the corrupted text in the same batches, per round. */
  plainMs: number[];
  ratio: number[];
  peakRssAfterLoad: number;
  peakRss: number;
}

export async function sweep(spec: SweepSpec): Promise<SweepResult> {
  const lens = new LensRunner(spec.model, spec.backend, spec.threads, new Map(), spec.workerPath);
  await lens.load();
  const peakRssAfterLoad = peakRssBytes();
  // The first sweep warms up, and gives the peak of the sweep alone.
  const { passes } = await lens.patchingSweep(spec.clean.text, spec.corrupted.text);
  const runs = passes.reduce((a, b) => a + b, 0);
  const peakRss = peakRssBytes();
  const plain = new PlainRunner(spec.model, spec.backend, spec.threads, new Map([[spec.n, spec.corrupted]]));
  await plain.load();
  await plain.run(spec.n, 'plain');
  const result: SweepResult = {
    n: spec.n,
    passes: runs,
    batch: Math.max(...passes),
    forwardPasses: passes.length,
    sweepMs: [],
    plainMs: [],
    ratio: [],
    peakRssAfterLoad,
    peakRss,
  };
  for (let round = 0; round < spec.runs; round++) {
    const plainFirst = round % 2 === 1;
    let plainMs = 0;
    const runPlain = async () => {
      const started = performance.now();
      for (const rows of passes) await plain.run(spec.n, 'plain', rows);
      plainMs = performance.now() - started;
    };
    if (plainFirst) await runPlain();
    const { ms } = await lens.patchingSweep(spec.clean.text, spec.corrupted.text);
    if (!plainFirst) await runPlain();
    result.sweepMs.push(ms);
    result.plainMs.push(plainMs);
    result.ratio.push(ms / plainMs);
  }
  await plain.close();
  await lens.close();
  return result;
}
