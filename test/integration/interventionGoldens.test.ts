// Interventions and direct logit attribution on the default model, against an independent PyTorch
// reference (test/fixtures/lens-tiny-goldens/interventions.json, written by
// scripts/train-default-model/intervention_goldens.py with forward hooks on model.py): zero and
// mean ablation of a head at blocks.L.attn.hook_z, patching blocks.L.hook_resid_pre at one
// position from another text, and the attribution's parts and per-token sources. Every number
// within 1e-4, absolute up to 1 and relative above (as defaultModel.test.ts), on every backend
// installed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { Analysis, AttributionPart, Intervention, TensorData } from '../../src/engine/types';
import { partLabel } from '../../src/shared/attributionParts';
import { DEFAULT_MODEL, ROOT } from '../helpers/paths';
import { BACKENDS } from '../helpers/backends';
import { hookGroups } from '../../src/shared/hooks';

const TOLERANCE = 1e-4;

interface Row {
  row: number;
  nextId?: number;
  nextLogit?: number;
  nextLogProb?: number;
  logSumExp: number;
  topIds: number[];
  topLogits: number[];
}

interface Case {
  name: string;
  text: 'A';
  source?: 'B';
  intervention: Omit<Intervention, 'source'>;
  /** Mean ablation: the value put at every position of the head. */
  ablatedValue?: number[] | null;
  /** z at one position, [head][d_head], of the ablated layer and the next one. */
  z?: { position: number } & Record<string, number[][] | number>;
  fullRow: { row: number; logits: number[] };
  rows: Row[];
}

interface GoldenPart {
  kind: AttributionPart['kind'];
  layer?: number;
  head?: number;
  label: string;
  value: number;
}

interface GoldenAttribution {
  text: 'A';
  position: number;
  target: number;
  foil: number;
  measured: number;
  sum: number;
  parts: GoldenPart[];
  sources: number[];
  headSources: { layer: number; head: number; sources: number[] }[];
}

interface Goldens {
  texts: Record<'A' | 'B', { text: string; ids: number[] }>;
  clean: { rows: Row[] };
  cases: Case[];
  attributions: GoldenAttribution[];
}

const goldens = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'lens-tiny-goldens', 'interventions.json'), 'utf8')) as Goldens;

/** |actual − expected| / max(1, |expected|). */
function error(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
}

function expectClose(actual: number, expected: number, what: string): void {
  expect(Number.isFinite(actual), `${what} is a number`).toBe(true);
  expect(error(actual, expected), `${what}: engine ${actual}, PyTorch ${expected}`).toBeLessThan(TOLERANCE);
}

/** Every number of the golden rows from the engine's logits [pos, vocab] and its next-token probabilities. */
function expectRows(a: Analysis, rows: Row[], what: string): void {
  const logits = a.logits!;
  const [n, vocab] = logits.shape;
  expect(n, what).toBe(rows.length);
  let worst = 0;
  const check = (actual: number, expected: number, label: string) => {
    expectClose(actual, expected, `${what}, ${label}`);
    worst = Math.max(worst, error(actual, expected));
  };
  for (const r of rows) {
    const row = logits.data.subarray(r.row * vocab, (r.row + 1) * vocab);
    let max = -Infinity;
    for (const x of row) max = Math.max(max, x);
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    const lse = max + Math.log(sum);
    check(lse, r.logSumExp, `row ${r.row} log-sum-exp`);
    r.topIds.forEach((id, j) => check(row[id], r.topLogits[j], `row ${r.row} logit of top-${j + 1} id ${id}`));
    // The best prediction must be the same unless PyTorch's top two are within the tolerance.
    if (r.topLogits[0] - r.topLogits[1] > 2 * TOLERANCE * Math.max(1, Math.abs(r.topLogits[0]))) {
      expect(a.topIds[r.row * a.topK], `${what}, row ${r.row}: best prediction`).toBe(r.topIds[0]);
    }
    if (r.nextId !== undefined) {
      check(row[r.nextId], r.nextLogit!, `row ${r.row} logit of the next token`);
      check(row[r.nextId] - lse, r.nextLogProb!, `row ${r.row} log-probability of the next token`);
      // The engine's own statistics (computed in the graph) of the token after the row.
      check(a.prob[r.row + 1], Math.exp(r.nextLogProb!), `P(token ${r.row + 1}) as the engine reports it`);
    }
  }
  console.log(`${what}: worst |engine − PyTorch| / max(1, |PyTorch|) over ${rows.length} rows: ${worst.toExponential(2)}`);
}

function expectFullRow(logits: TensorData, full: Case['fullRow'], what: string): void {
  const vocab = logits.shape[1];
  expect(full.logits).toHaveLength(vocab);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < vocab; i++) {
    const e = error(logits.data[full.row * vocab + i], full.logits[i]);
    if (e > worst) [worst, at] = [e, i];
  }
  expect(
    worst,
    `${what}: all ${vocab} logits of row ${full.row}, worst at id ${at} (engine ${logits.data[full.row * vocab + at]}, PyTorch ${full.logits[at]})`,
  ).toBeLessThan(TOLERANCE);
}

function expectZ(a: Analysis, c: Case): void {
  const { position, ...layers } = c.z!;
  for (const [hook, heads] of Object.entries(layers) as [string, number[][]][]) {
    const z = a.activations[hook];
    expect(z, hook).toBeDefined();
    const [, count, d] = z.shape;
    heads.forEach((values, h) =>
      values.forEach((x, j) => expectClose(z.data[(position * count + h) * d + j], x, `${c.name}: ${hook}[${position}, ${h}, ${j}]`)),
    );
  }
  // The ablated head holds 0, or the mean, at every position.
  const hook = c.intervention.hook;
  const [head] = c.intervention.indices!;
  const z = a.activations[hook];
  const [n, count, d] = z.shape;
  for (let p = 0; p < n; p++) {
    for (let j = 0; j < d; j++) {
      const actual = z.data[(p * count + head) * d + j];
      if (c.intervention.mode === 'zero') expect(actual, `${hook}[${p}, ${head}, ${j}]`).toBe(0);
      else expectClose(actual, c.ablatedValue![j], `${c.name}: ${hook}[${p}, ${head}, ${j}]`);
    }
  }
}

describe.each(BACKENDS)('interventions and attribution on the default model match PyTorch (%s)', (backend) => {
  let model: LoadedModel;
  let other: Analysis;
  beforeAll(async () => {
    model = await LoadedModel.load(DEFAULT_MODEL, { backend, threads: 1 });
    other = await model.analyze(goldens.texts.B.text, { hooks: hookGroups.activations });
  });
  afterAll(() => model.release());

  it('tokenizes both texts as the training tokenizer did', async () => {
    const a = await model.analyze(goldens.texts.A.text);
    expect(a.tokens.map((t) => t.id)).toEqual(goldens.texts.A.ids);
    expect(other.tokens.map((t) => t.id)).toEqual(goldens.texts.B.ids);
  });

  it('gives the logits of text A without interventions', async () => {
    const a = await model.analyze(goldens.texts.A.text, { logits: true });
    expectRows(a, goldens.clean.rows, 'clean');
  });

  it.each(goldens.cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const intervention: Intervention = { ...c.intervention };
    if (c.source === 'B') intervention.source = other.activations[c.intervention.hook];
    const a = await model.analyze(goldens.texts[c.text].text, { logits: true, hooks: hookGroups.attention, interventions: [intervention] });
    expectRows(a, c.rows, c.name);
    expectFullRow(a.logits!, c.fullRow, c.name);
    if (c.z) expectZ(a, c);
  });

  it.each(goldens.attributions.map((g) => [g.position, g] as const))('splits the logit difference at position %i into the same parts', async (_, g) => {
    const a = (await model.analyze(goldens.texts[g.text].text, { attribution: { position: g.position } })).attribution!;
    expect(a.position).toBe(g.position);
    // The foil is the engine's own choice: the model's best prediction other than the target.
    expect([a.target, a.foil]).toEqual([g.target, g.foil]);
    expectClose(a.measured, g.measured, 'measured logit difference');
    expectClose(a.sum, g.sum, 'sum of the parts');
    expect(a.notes).toEqual([]);
    expect(a.parts.map((p) => partLabel(p))).toEqual(g.parts.map((p) => p.label));
    let worst = 0;
    a.parts.forEach((p, i) => {
      const e = g.parts[i];
      expect({ kind: p.kind, layer: p.layer, head: p.head }).toEqual({ kind: e.kind, layer: e.layer, head: e.head });
      expectClose(p.value, e.value, `part ${e.label}`);
      worst = Math.max(worst, error(p.value, e.value));
    });
    expect(a.sources).toHaveLength(g.position);
    g.sources.forEach((x, k) => {
      expectClose(a.sources[k], x, `source token ${k}`);
      worst = Math.max(worst, error(a.sources[k], x));
    });
    // Each head's split over the tokens it read adds up to the engine's share of that head.
    for (const h of g.headSources) {
      const share = a.parts.find((p) => p.kind === 'head' && p.layer === h.layer && p.head === h.head)!.value;
      expectClose(
        h.sources.reduce((s, x) => s + x, 0),
        share,
        `L${h.layer}H${h.head}'s sources against its share`,
      );
    }
    console.log(
      `attribution at ${g.position}: worst |engine − PyTorch| / max(1, |PyTorch|) over ${a.parts.length} parts and ${g.sources.length} sources: ${worst.toExponential(2)}`,
    );
  });
});
