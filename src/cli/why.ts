// The CLI's "why" commands: heads ablated (--ablate), direct logit attribution (--why) and
// activation patching (--patch-from), printed as tables or, with --json, as the fields the README
// documents.
import { ModelLensError } from '../engine/errors';
import { patchingSweep, type Analyze, type PatchingResult, type SweepEngine } from '../engine/patching';
import type { Analysis, Intervention, ModelInfo } from '../engine/types';
import { partLabel } from '../shared/attributionParts';
import { hooks } from '../shared/hooks';
import { visible } from './visible';

export interface Intervening {
  ablate: { layer: number; head: number }[];
  mean: boolean;
  why?: number;
  target?: string;
  foil?: string;
  patchFrom?: string;
  json: boolean;
}

function write(lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The id of a token given as text; a text of several tokens is refused, with its pieces. */
async function tokenId(analyze: Analyze, text: string, flag: string): Promise<number> {
  const pieces = (await analyze(text, {})).tokens.filter((t) => !t.special);
  if (pieces.length !== 1) {
    const shown = pieces.map((t) => `"${visible(t.text)}"`).join(' ');
    throw new ModelLensError({
      code: 'unsupported-input',
      message: `${flag} "${visible(text)}" is ${pieces.length} tokens for this model (${shown || 'none'}); give one token, e.g. ${pieces[0] ? `"${visible(pieces[0].text)}"` : 'a word with its leading space'}.`,
    });
  }
  return pieces[0].id;
}

function logProb(p: number): number {
  return Math.log2(p);
}

export async function printAblation(analyze: Analyze, info: ModelInfo, text: string, args: Intervening): Promise<void> {
  const byLayer = new Map<number, number[]>();
  for (const { layer, head } of args.ablate) {
    if (layer >= info.layers || head >= info.heads)
      throw new ModelLensError({
        code: 'unsupported-input',
        message: `The model has ${info.layers} layers of ${info.heads} heads: there is no head ${layer}.${head}.`,
      });
    byLayer.set(layer, [...(byLayer.get(layer) ?? []), head]);
  }
  const interventions: Intervention[] = [...byLayer].map(([layer, indices]) => ({ hook: hooks.attn(layer, 'z'), mode: args.mean ? 'mean' : 'zero', indices }));
  const [clean, ablated] = [await analyze(text, {}), await analyze(text, { interventions })];
  const change = clean.tokens.map((_, i) => logProb(ablated.prob[i]) - logProb(clean.prob[i]));
  if (args.json) {
    write([
      JSON.stringify({
        model: info.name,
        interventions,
        tokens: clean.tokens.map((t, i) => ({ ...t, prob: finite(clean.prob[i]), ablatedProb: finite(ablated.prob[i]), changeBits: finite(change[i]) })),
      }),
    ]);
    return;
  }
  const heads = args.ablate.map((h) => `L${h.layer}H${h.head}`).join(', ');
  const out = [
    `Model: ${info.name}. Heads ${args.mean ? 'mean-' : 'zero-'}ablated: ${heads}.`,
    '',
    'pos  token                    P before   P after   change (log₂ P)',
  ];
  clean.tokens.forEach((t, i) => {
    const cells = Number.isFinite(clean.prob[i])
      ? [percent(clean.prob[i]), percent(ablated.prob[i]), `${change[i] >= 0 ? '+' : ''}${change[i].toFixed(2)} bits`.padStart(16)]
      : ['—'.padStart(9), '', ''];
    out.push(`${String(i).padStart(3)}  ${visible(t.text).slice(0, 22).padEnd(22)}  ${cells.join(' ')}`);
  });
  write(out);
}

function percent(p: number): string {
  return `${(p * 100).toFixed(2)}%`.padStart(9);
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export async function printAttribution(analyze: Analyze, info: ModelInfo, text: string, args: Intervening): Promise<void> {
  const target = args.target === undefined ? undefined : await tokenId(analyze, args.target, '--target');
  const foil = args.foil === undefined ? undefined : await tokenId(analyze, args.foil, '--vs');
  const a = await analyze(text, { attribution: { position: args.why!, target, foil } });
  const at = a.attribution!;
  const piece = (id: number) => `"${visible(a.pieces[id] ?? String(id))}"`;
  if (args.json) {
    write([
      JSON.stringify({
        model: info.name,
        position: at.position,
        target: { id: at.target },
        foil: { id: at.foil },
        measured: at.measured,
        sum: at.sum,
        parts: at.parts.map((p) => ({ ...p, label: partLabel(p) })),
        sources: a.tokens.slice(0, at.position).map((t, i) => ({ ...t, contribution: at.sources[i] })),
        notes: at.notes,
      }),
    ]);
    return;
  }
  const out = [
    `Model: ${info.name}. Why "${visible(a.tokens[at.position].text)}"@${at.position}: logit(${piece(at.target)}) − logit(${piece(at.foil)}) = ${at.measured.toFixed(4)} (sum of the parts: ${at.sum.toFixed(4)})`,
    '',
    'Largest parts (final norm scale frozen):',
  ];
  for (const p of [...at.parts].sort((x, y) => Math.abs(y.value) - Math.abs(x.value)).slice(0, 20))
    out.push(`  ${partLabel(p).padEnd(38)} ${p.value >= 0 ? '+' : ''}${p.value.toFixed(4)}`);
  out.push('', 'Through attention, from each earlier token:');
  a.tokens
    .slice(0, at.position)
    .forEach((t, i) =>
      out.push(`  ${String(i).padStart(3)}  ${visible(t.text).slice(0, 22).padEnd(22)} ${at.sources[i] >= 0 ? '+' : ''}${at.sources[i].toFixed(4)}`),
    );
  for (const note of at.notes) out.push(`Note: ${note}`);
  write(out);
}

export async function printPatching(engine: SweepEngine, info: ModelInfo, clean: string, corrupted: string, args: Intervening): Promise<void> {
  const analyze = engine.analyze.bind(engine);
  const target = args.target === undefined ? undefined : await tokenId(analyze, args.target, '--target');
  const foil = args.foil === undefined ? undefined : await tokenId(analyze, args.foil, '--foil');
  const result = await patchingSweep(engine, info, clean, corrupted, { target, foil });
  const tokens = (await analyze(corrupted, { topK: 1 })).tokens;
  if (args.json) {
    write([JSON.stringify(patchingJson(info, result, tokens))]);
    return;
  }
  const cell = (x: number) => (Number.isNaN(x) ? '   —' : x.toFixed(2).padStart(5));
  const out = [
    `Model: ${info.name}. Patching the clean text into the corrupted one; metric: logit(target) − logit(foil) after the last token, 1 = clean (${result.clean.toFixed(3)}), 0 = corrupted (${result.corrupted.toFixed(3)}); target id ${result.target}, foil id ${result.foil}.`,
    '',
    `Residual stream (rows: the input of each block, then the output of the last; columns: positions):`,
    `        ${tokens.map((t) => visible(t.text).slice(0, 5).padStart(5)).join(' ')}`,
  ];
  result.residual.hooks.forEach((_, s) => {
    const label = s < info.layers ? `in L${s}` : `out L${s - 1}`;
    out.push(
      `${label.padEnd(7)} ${Array.from(result.residual.values.subarray(s * result.residual.positions, (s + 1) * result.residual.positions), cell).join(' ')}`,
    );
  });
  out.push('', "Heads (each head's output patched at every position):");
  for (let L = 0; L < result.heads.layers; L++)
    out.push(`L${L}      ${Array.from(result.heads.values.subarray(L * result.heads.heads, (L + 1) * result.heads.heads), cell).join(' ')}`);
  write(out);
}

function patchingJson(info: ModelInfo, r: PatchingResult, tokens: Analysis['tokens']): object {
  const rows = (values: Float32Array, width: number) =>
    Array.from({ length: values.length / width }, (_, i) => Array.from(values.subarray(i * width, (i + 1) * width), (x) => finite(x)));
  return {
    model: info.name,
    target: r.target,
    foil: r.foil,
    clean: r.clean,
    corrupted: r.corrupted,
    tokens,
    residual: { hooks: r.residual.hooks, values: rows(r.residual.values, r.residual.positions) },
    heads: rows(r.heads.values, r.heads.heads),
  };
}
