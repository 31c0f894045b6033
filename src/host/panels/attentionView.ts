// What the attention panel is sent: the analysis of context + selection cut down to the
// explained tokens (queries) against every token the model saw (keys), plus head details and
// exports on request. Pure functions of an Analysis, so they are tested without VS Code.
import { choiceMatrix, choiceName } from '../../shared/attentionChoice';
import { headScores } from '../../shared/headScores';
import type { Analysis, Intervention, ModelInfo, TensorData } from '../../engine/types';
import type { AblationMode, AttentionView, HeadChoice, HeadDetail, HeadRef, TokenView } from '../../shared/protocol';
import { hooks } from '../../shared/hooks';
import { csv } from '../text/csv';

export interface ExplainedText {
  id: number;
  /** The analysed text (context and selection), to run again with heads switched off. */
  text: string;
  analysis: Analysis;
  info: ModelInfo;
  document: { uri: string; name: string };
  /** Document offset of the analysed text's first character. */
  baseOffset: number;
  /** The selection, as document offsets. */
  selection: { start: number; end: number };
  maxTokens: number;
  focus?: { layer: number; head: number };
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Rows [from, from + count) of a [..., rows, cols] tensor, for every leading index. */
function cropRows(t: TensorData, from: number, count: number): Float32Array {
  const [lead, rows, cols] = t.shape.length === 3 ? t.shape : [1, ...t.shape];
  const out = new Float32Array(lead * count * cols);
  for (let i = 0; i < lead; i++) out.set(t.data.subarray((i * rows + from) * cols, (i * rows + from + count) * cols), i * count * cols);
  return out;
}

export function buildAttentionView(e: ExplainedText): AttentionView {
  const { analysis, info, baseOffset, selection } = e;
  const tokens: TokenView[] = analysis.tokens.map((t, i) => ({
    id: t.id,
    text: t.text,
    start: baseOffset + t.start,
    end: baseOffset + t.end,
    special: t.special,
    prob: finite(analysis.prob[i]),
    rank: analysis.rank[i] || null,
  }));
  const selectedCount = tokens.length - analysis.firstSelected;
  const queryCount = Math.min(selectedCount, e.maxTokens);
  const queryStart = tokens.length - queryCount;
  const notes: string[] = [];
  if (baseOffset + analysis.droppedChars > selection.start) {
    notes.push(`The selection is longer than the model's window of ${info.positions} tokens: only its end was analysed.`);
  }
  if (selectedCount > queryCount) notes.push(`Explaining the last ${queryCount} of ${selectedCount} selected tokens (setting modelLens.maxTokens).`);
  const bidirectional = info.bidirectional === true;
  // An encoder's queries weigh the keys after them too: the panel shows those weights, and says
  // that the text after the selection, which it did not read, would change them all.
  if (bidirectional)
    notes.push(
      `${info.name} attends in both directions (bidirectional attention, as BERT does): each token also weighs the tokens after it, so no key is masked. Only the text up to the end of the selection was analysed; text after it would change every token's attention.`,
    );
  const ids = analysis.tokens.map((t) => t.id);
  const layers = info.layerInfo.map((layer, L) => {
    const pattern = analysis.activations[hooks.attn(L, 'pattern')];
    if (!pattern) return { source: layer.attention };
    const [heads, s] = pattern.shape;
    return {
      source: layer.attention,
      pattern: cropRows(pattern, queryStart, queryCount).buffer as ArrayBuffer,
      scores: headScores(pattern.data, heads, s, ids),
    };
  });
  return {
    id: e.id,
    model: { name: info.name, layers: info.layers, heads: info.heads, dHead: info.dHead, bidirectional, predicts: info.predicts },
    document: e.document,
    tokens,
    queryStart,
    queryCount,
    notes,
    layers,
    rollout: analysis.rollout ? (cropRows(analysis.rollout, queryStart, queryCount).buffer as ArrayBuffer) : undefined,
    focus: e.focus,
    ablatable: ablatableLayers(info),
  };
}

/** Per layer: whether the model can intervene at its heads' outputs (hook_z). */
function ablatableLayers(info: ModelInfo): boolean[] {
  return Array.from({ length: info.layers }, (_, L) => info.interventionHooks.includes(hooks.attn(L, 'z')));
}

/**
 * The interventions that switch `heads` off (one per layer, its heads as indices of hook_z), or a
 * reason when a head is not one the model has or can intervene at. The list comes from a webview.
 */
export function headAblation(info: ModelInfo, heads: readonly HeadRef[], mode: AblationMode): Intervention[] | string {
  const byLayer = new Map<number, number[]>();
  for (const { layer, head } of heads) {
    if (layer >= info.layers || head >= info.heads) return `The model has no head ${head} in layer ${layer}.`;
    if (!info.interventionHooks.includes(hooks.attn(layer, 'z')))
      return `${info.name} cannot switch off heads of layer ${layer}: it exposes no ${hooks.attn(layer, 'z')} to intervene at.`;
    byLayer.set(layer, [...(byLayer.get(layer) ?? []), head]);
  }
  return [...byLayer].sort(([a], [b]) => a - b).map(([layer, indices]) => ({ hook: hooks.attn(layer, 'z'), mode, indices: indices.sort((a, b) => a - b) }));
}

/** log2 P(ablated) − log2 P(clean) per token; NaN where nothing came before (or P is not positive). */
export function logProbChange(clean: Float32Array, ablated: Float32Array): Float32Array {
  return Float32Array.from(clean, (p, i) => (p > 0 && ablated[i] > 0 ? Math.log2(ablated[i]) - Math.log2(p) : NaN));
}

/** One head's Q, K, V and z for every analysed token, for the step-by-step view. */
export function headDetail(e: ExplainedText, layer: number, head: number): HeadDetail | undefined {
  const a = e.analysis.activations;
  const [q, k, v, z] = (['q', 'k', 'v', 'z'] as const).map((n) => a[hooks.attn(layer, n)]);
  if (!q || !k || !v || !z || head >= q.shape[1]) return undefined;
  const slice = (t: TensorData) => {
    const [s, heads, d] = t.shape;
    const out = new Float32Array(s * d);
    for (let p = 0; p < s; p++) out.set(t.data.subarray((p * heads + head) * d, (p * heads + head + 1) * d), p * d);
    return out.buffer as ArrayBuffer;
  };
  const dHead = q.shape[2];
  const source = e.info.layerInfo[layer]?.attention;
  return {
    id: e.id,
    layer,
    head,
    dHead,
    q: slice(q),
    k: slice(k),
    v: slice(v),
    z: slice(z),
    scale: 1 / Math.sqrt(dHead),
    note:
      source?.kind === 'recomputed'
        ? `This layer uses the fused operator ${source.op}: Q, K and V were recomputed from what enters it, and z is the operator's own output.`
        : undefined,
  };
}

/** The matrix a panel shows for a layer and head choice: [explained query, key]. */
export function attentionMatrix(view: AttentionView, layer: number, head: HeadChoice): Float32Array | undefined {
  const pattern = view.layers[layer]?.pattern;
  return choiceMatrix(
    {
      pattern: pattern && new Float32Array(pattern),
      rollout: view.rollout && new Float32Array(view.rollout),
      heads: view.model.heads,
      queries: view.queryCount,
      keys: view.tokens.length,
    },
    layer,
    head,
  );
}

/** The shown attention as JSON: tokens and weights [query][key]. */
export function attentionJson(view: AttentionView, layer: number, head: HeadChoice): string | undefined {
  const matrix = attentionMatrix(view, layer, head);
  if (!matrix) return undefined;
  const keys = view.tokens.length;
  return JSON.stringify(
    {
      model: view.model.name,
      document: view.document.name,
      attention: choiceName(layer, head),
      queries: view.tokens.slice(view.queryStart).map(({ text, start, end }) => ({ text, start, end })),
      keys: view.tokens.map(({ text, start, end }) => ({ text, start, end })),
      weights: Array.from({ length: view.queryCount }, (_, q) => Array.from(matrix.subarray(q * keys, (q + 1) * keys))),
    },
    null,
    1,
  );
}

/** The shown attention as CSV: one row per query token, one column per key token. */
export function attentionCsv(view: AttentionView, layer: number, head: HeadChoice): string | undefined {
  const matrix = attentionMatrix(view, layer, head);
  if (!matrix) return undefined;
  const keys = view.tokens.length;
  // Six significant digits, kept as numbers so that the cells stay numbers.
  const rows = Array.from({ length: view.queryCount }, (_, q) => [
    view.tokens[view.queryStart + q].text,
    ...Array.from(matrix.subarray(q * keys, (q + 1) * keys), (w) => Number(w.toPrecision(6))),
  ]);
  return csv([['query \\ key', ...view.tokens.map((t) => t.text)], ...rows]);
}
