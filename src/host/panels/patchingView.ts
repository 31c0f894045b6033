// What the patching panel is sent and exports: the engine's PatchingResult with the two texts'
// tokens and the target and foil in words. Pure, so it is tested without VS Code.
import type { PatchingResult } from '../../engine/patching';
import type { Analysis } from '../../engine/types';
import type { PatchingSource, PatchingView } from '../../shared/protocol';
import { hooks } from '../../shared/hooks';
import { csv } from '../text/csv';

/** The text of a token id the runs predicted (their pieces hold every top prediction). */
function piece(id: number, runs: readonly Analysis[]): string {
  for (const run of runs) if (Object.hasOwn(run.pieces, id)) return run.pieces[id];
  return `#${id}`;
}

/** The two texts a sweep compares, and where they are in their document. */
export interface PatchingTexts {
  clean: string;
  corrupted: string;
  source: PatchingSource;
}

export function buildPatchingView(id: number, model: string, result: PatchingResult, clean: Analysis, corrupted: Analysis, texts: PatchingTexts): PatchingView {
  const runs = [clean, corrupted];
  return {
    id,
    model,
    clean: { text: texts.clean, tokens: clean.tokens.map((t) => t.text), logitDiff: result.clean },
    corrupted: { text: texts.corrupted, tokens: corrupted.tokens.map((t) => t.text), logitDiff: result.corrupted },
    target: { id: result.target, text: piece(result.target, runs) },
    foil: { id: result.foil, text: piece(result.foil, runs) },
    residual: { hooks: result.residual.hooks, positions: result.residual.positions, values: result.residual.values.slice().buffer },
    heads: { layers: result.heads.layers, heads: result.heads.heads, values: result.heads.values.slice().buffer },
    source: texts.source,
  };
}

/** NaN (no hook to patch there) as null, since JSON has no NaN. */
function jsonNumber(x: number): number | null {
  return Number.isFinite(x) ? Number(x.toPrecision(6)) : null;
}

/** The whole sweep as JSON: texts, target and foil, and both grids as nested arrays. */
export function patchingJson(view: PatchingView): string {
  const residual = new Float32Array(view.residual.values);
  const heads = new Float32Array(view.heads.values);
  const n = view.residual.positions;
  return JSON.stringify(
    {
      model: view.model,
      metric: 'logit(target) − logit(foil) after the last token, normalised: 1 = clean run, 0 = corrupted run; null where the model has no hook to patch',
      clean: view.clean,
      corrupted: view.corrupted,
      target: view.target,
      foil: view.foil,
      residual: { hooks: view.residual.hooks, values: view.residual.hooks.map((_, s) => Array.from(residual.subarray(s * n, (s + 1) * n), jsonNumber)) },
      heads: Array.from({ length: view.heads.layers }, (_, L) => Array.from(heads.subarray(L * view.heads.heads, (L + 1) * view.heads.heads), jsonNumber)),
    },
    null,
    1,
  );
}

/**
 * The sweep as CSV, one row per patched part (long form, so both grids fit one table): the
 * residual stream's rows name the hook and position with the clean and corrupted tokens there,
 * the heads' rows their layer and head.
 */
export function patchingCsv(view: PatchingView): string {
  const residual = new Float32Array(view.residual.values);
  const heads = new Float32Array(view.heads.values);
  const n = view.residual.positions;
  const rows: (string | number)[][] = [['part', 'hook', 'layer', 'position', 'head', 'clean token', 'corrupted token', 'patched (1 = clean, 0 = corrupted)']];
  view.residual.hooks.forEach((hook, s) => {
    for (let p = 0; p < n; p++)
      rows.push(['residual', hook, '', p, '', view.clean.tokens[p] ?? '', view.corrupted.tokens[p] ?? '', Number(residual[s * n + p].toPrecision(6))]);
  });
  for (let L = 0; L < view.heads.layers; L++) {
    for (let h = 0; h < view.heads.heads; h++)
      rows.push(['head', hooks.attn(L, 'z'), L, '', h, '', '', Number(heads[L * view.heads.heads + h].toPrecision(6))]);
  }
  return csv(rows);
}
