// What the side panel shows about a model and about the selected text, and its exports: pure
// functions of ModelInfo and Analysis, tested without VS Code.
import { headScores } from '../../shared/headScores';
import { hooks } from '../../shared/hooks';
import type { Analysis, ModelInfo } from '../../engine/types';
import type { ModelView, SideAnalysisView, TokenView } from '../../shared/protocol';
import { csv } from '../text/csv';

export function modelView(info: ModelInfo, isDefault: boolean, backendReason: string): ModelView {
  const { layerInfo, ...rest } = info;
  return {
    ...rest,
    backendReason,
    attention: layerInfo.map(({ attention: a, checkError }) => ({
      kind: a.kind,
      text:
        a.kind === 'softmax'
          ? 'Softmax output of the graph'
          : a.kind === 'recomputed'
            ? `recomputed from fused ${a.op}${checkError !== undefined ? ` (A·V matches its output to ${checkError.toExponential(0)})` : ''}`
            : `unavailable: ${a.reason}`,
    })),
    isDefault,
  };
}

export interface SelectedText {
  id: number;
  analysis: Analysis;
  info: ModelInfo;
  document: { uri: string; name: string };
  baseOffset: number;
}

/** ‖residual stream‖ per layer row and selected token: Float32 [layer + 1, token]. */
export function residualNorms(s: SelectedText): Float32Array | undefined {
  const a = s.analysis.activations;
  const rows = [a[hooks.residPre(0)], ...Array.from({ length: s.info.layers }, (_, L) => a[hooks.residPost(L)])];
  if (rows.some((r) => !r)) return undefined;
  const count = s.analysis.tokens.length - s.analysis.firstSelected;
  const out = new Float32Array(rows.length * count);
  rows.forEach((r, row) => {
    const d = r!.shape[1];
    for (let t = 0; t < count; t++) {
      let sum = 0;
      const offset = (s.analysis.firstSelected + t) * d;
      for (let x = 0; x < d; x++) sum += r!.data[offset + x] ** 2;
      out[row * count + t] = Math.sqrt(sum);
    }
  });
  return out;
}

/** The MLP neurons of a layer most active at a token (index among the selected tokens), largest first. */
export function topNeurons(s: SelectedText, layer: number, token: number, count = 12): { index: number; value: number }[] {
  const mlp = s.analysis.activations[hooks.mlpPost(layer)];
  if (!mlp) return [];
  const d = mlp.shape[1];
  const row = mlp.data.subarray((s.analysis.firstSelected + token) * d, (s.analysis.firstSelected + token + 1) * d);
  return Array.from(row, (value, index) => ({ index, value }))
    .sort((a, b) => b.value - a.value)
    .slice(0, count);
}

function lensView(s: SelectedText): SideAnalysisView['lens'] {
  const lens = s.analysis.lens;
  if (!lens || lens.from > s.analysis.firstSelected) return undefined;
  // The lens rows cover positions lens.from..end.
  const positions = s.analysis.tokens.length - lens.from;
  const count = s.analysis.tokens.length - s.analysis.firstSelected;
  const ids = new Int32Array(lens.rows * count * lens.k);
  const probs = new Float32Array(lens.rows * count * lens.k);
  for (let r = 0; r < lens.rows; r++) {
    const from = (r * positions + s.analysis.firstSelected - lens.from) * lens.k;
    ids.set(lens.ids.subarray(from, from + count * lens.k), r * count * lens.k);
    probs.set(lens.probs.subarray(from, from + count * lens.k), r * count * lens.k);
  }
  const pieces: Record<number, string> = {};
  for (const id of ids) pieces[id] = s.analysis.pieces[id] ?? '';
  return { rows: lens.rows, k: lens.k, ids: ids.buffer as ArrayBuffer, probs: probs.buffer as ArrayBuffer, pieces };
}

function headTable(s: SelectedText): SideAnalysisView['heads'] {
  const ids = s.analysis.tokens.map((t) => t.id);
  return Array.from({ length: s.info.layers }, (_, layer) => {
    const p = s.analysis.activations[hooks.attn(layer, 'pattern')];
    if (!p) return [];
    return headScores(p.data, p.shape[0], p.shape[1], ids).map((scores, head) => ({ layer, head, ...scores }));
  }).flat();
}

export function sideAnalysisView(s: SelectedText, notes: string[] = []): SideAnalysisView {
  const tokens: TokenView[] = s.analysis.tokens.slice(s.analysis.firstSelected).map((t, i) => ({
    id: t.id,
    text: t.text,
    start: s.baseOffset + t.start,
    end: s.baseOffset + t.end,
    special: t.special,
    prob: Number.isFinite(s.analysis.prob[s.analysis.firstSelected + i]) ? s.analysis.prob[s.analysis.firstSelected + i] : null,
    rank: s.analysis.rank[s.analysis.firstSelected + i] || null,
  }));
  return {
    id: s.id,
    document: s.document,
    tokens,
    layers: s.info.layers,
    residNorm: residualNorms(s)?.buffer as ArrayBuffer | undefined,
    lens: lensView(s),
    heads: headTable(s),
    notes,
    predicts: s.analysis.predicts,
    classes: s.analysis.classes,
  };
}

/** A side panel section as CSV or JSON. */
export function exportSection(
  view: SideAnalysisView | undefined,
  model: ModelView | undefined,
  section: 'model' | 'activations' | 'lens' | 'heads',
  format: 'csv' | 'json',
): string | undefined {
  if (section === 'model') {
    if (!model) return undefined;
    if (format === 'json') return JSON.stringify(model, null, 1);
    return csv([
      ['property', 'value'],
      ...Object.entries(model)
        .filter(([, v]) => typeof v !== 'object')
        .map(([k, v]) => [k, typeof v === 'number' ? v : String(v)]),
    ]);
  }
  if (!view) return undefined;
  const labels = view.tokens.map((t) => t.text);
  const count = view.tokens.length;
  if (section === 'activations') {
    if (!view.residNorm) return undefined;
    const norms = new Float32Array(view.residNorm);
    const rows = Array.from({ length: norms.length / count }, (_, r) => Array.from(norms.subarray(r * count, (r + 1) * count)));
    const rowLabel = (r: number) => (r === 0 ? 'embedding' : `after block ${r - 1}`);
    if (format === 'json') return JSON.stringify({ tokens: labels, residualNorm: rows.map((values, r) => ({ layer: rowLabel(r), values })) }, null, 1);
    return csv([['layer', ...labels], ...rows.map((values, r) => [rowLabel(r), ...values])]);
  }
  if (section === 'lens') {
    const lens = view.lens;
    if (!lens) return undefined;
    const ids = new Int32Array(lens.ids);
    const probs = new Float32Array(lens.probs);
    const cell = (r: number, t: number, j: number) => ({
      token: lens.pieces[ids[(r * count + t) * lens.k + j]] ?? '',
      prob: probs[(r * count + t) * lens.k + j],
    });
    const rowLabel = (r: number) => (r === 0 ? 'embedding' : `after block ${r - 1}`);
    if (format === 'json') {
      return JSON.stringify(
        {
          tokens: labels,
          rows: Array.from({ length: lens.rows }, (_, r) => ({
            layer: rowLabel(r),
            predictions: labels.map((_, t) => Array.from({ length: lens.k }, (_, j) => cell(r, t, j))),
          })),
        },
        null,
        1,
      );
    }
    return csv([
      ['layer', ...labels],
      ...Array.from({ length: lens.rows }, (_, r) => [rowLabel(r), ...labels.map((_, t) => `${cell(r, t, 0).token} (${cell(r, t, 0).prob.toFixed(4)})`)]),
    ]);
  }
  if (format === 'json') return JSON.stringify(view.heads, null, 1);
  return csv([
    ['layer', 'head', 'previous_token', 'first_token', 'induction', 'self'],
    ...view.heads.map((h) => [h.layer, h.head, h.previousToken, h.firstToken, h.induction, h.self]),
  ]);
}
