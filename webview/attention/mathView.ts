// "The math, step by step" for one head, on the real numbers of this input:
// Q, K, V → S = QKᵀ/√d_k → S + M (causal mask) → A = softmax(S + M) → z = A·V, with proof that
// the recomputation is the model's own (max |A − pattern|, max |A·V − z|). A bidirectional model
// (an encoder) has no causal mask: M = 0, and every key, later ones too, gets weight. Tables stay
// small: at most WINDOW tokens around the selected query; the softmax and A·V still use every key.
import type { ThemeKind } from '../shared/colorScale';
import { attentionScale, normalizer, rampColor, rgbCss, textOn, valueRange, type RampName } from '../shared/colorScale';
import { clear, el } from '../shared/dom';
import { plural, t } from '../shared/l10n';
import { formatCell, formatSci, quoted, tokenLabel } from '../shared/format';
import { windowAround } from '../shared/layout';
import { checkLine, notice, step } from '../shared/steps';
import { checkHead, recomputeHead, type HeadCheck, type HeadRecomputation } from './attentionMath';
import { headMatrix } from '../../src/shared/attentionChoice';
import { formatWeight } from './format';
import type { DecodedDetail, ViewData } from './viewData';
import type { HeadChoice } from '../../src/shared/protocol';

/** Most tokens a table shows. */
export const WINDOW = 16;
/** Dimensions of Q, K, V, z shown before "…" unless all are asked for. */
export const SHOWN_DIMS = 8;

export type DetailState = { kind: 'none' } | { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; detail: DecodedDetail };

export interface MathSettings {
  layer: number;
  head: HeadChoice;
  query: number | null;
  allDims: boolean;
  theme: ThemeKind;
}

export interface MathViewEvents {
  onAllDims(all: boolean): void;
  /** Open the step-by-step panel on this token (index into tokens). */
  onWalk(query: number): void;
}

interface Cached {
  detail: DecodedDetail;
  rec: HeadRecomputation;
  check: HeadCheck;
}

export class MathView {
  readonly element: HTMLDivElement;
  private data: ViewData | undefined;
  private cached: Cached | undefined;

  constructor(private readonly events: MathViewEvents) {
    this.element = el('div', { class: 'ml-math', attrs: { role: 'region', 'aria-label': t('The math, step by step') } });
  }

  setData(data: ViewData): void {
    this.data = data;
    this.cached = undefined;
  }

  update(settings: MathSettings, state: DetailState): void {
    clear(this.element);
    const data = this.data;
    if (!data) return;
    const { layer, head } = settings;
    this.element.appendChild(formula(data.bidirectional));
    if (typeof head !== 'number') {
      this.element.appendChild(
        notice(
          'info',
          `The formula runs per head. ${head === 'mean' ? 'The mean of heads' : 'The rollout'} is made afterwards from the heads' patterns, so pick a single head in the head picker to see its numbers.`,
        ),
      );
      return;
    }
    const source = data.layers[layer]?.source;
    if (source?.kind === 'unavailable') {
      this.element.appendChild(
        notice('warning', `Layer ${layer}'s attention could not be read from this model, so there are no Q, K, V to show: ${source.reason}`),
      );
      return;
    }
    if (source?.kind === 'recomputed') {
      this.element.appendChild(
        notice(
          'info',
          `Layer ${layer} computes attention inside a fused ${source.op} operator (${source.detail}), which never outputs its weights. Q, K and V below were recomputed from the operator's input; A·V is checked against the operator's own output.`,
        ),
      );
    }
    if (state.kind === 'loading' || state.kind === 'none') {
      this.element.appendChild(
        el(
          'div',
          { class: 'ml-math-loading' },
          el('vscode-progress-ring', { attrs: { 'aria-label': t('Loading Q, K, V') } }),
          el('span', { text: t('Fetching Q, K, V of layer {0}, head {1}…', layer, head) }),
        ),
      );
      return;
    }
    if (state.kind === 'error') {
      this.element.appendChild(notice('error', state.message));
      return;
    }
    const { detail } = state;
    if (detail.detail.note) this.element.appendChild(notice('info', detail.detail.note));
    const cached = this.recompute(detail);
    this.render(cached, settings);
  }

  private recompute(detail: DecodedDetail): Cached {
    if (this.cached?.detail === detail) return this.cached;
    const data = this.data!;
    const rows = Array.from({ length: data.queryCount }, (_, r) => data.queryStart + r);
    const d = detail.detail;
    const rec = recomputeHead(detail.q, detail.k, detail.v, d.dHead, d.scale, rows, data.keys, data.bidirectional);
    const pattern = data.layers[d.layer]?.pattern;
    const check = checkHead(rec, pattern ? headMatrix(pattern, d.head, data.queryCount, data.keys) : undefined, data.queryStart, detail.z, d.dHead);
    this.cached = { detail, rec, check };
    return this.cached;
  }

  private render({ detail, rec, check }: Cached, s: MathSettings): void {
    const data = this.data!;
    const d = detail.detail;
    const tokens = data.view.tokens;
    const start = data.queryStart;
    const end = start + data.queryCount;
    const center = s.query ?? end - 1;
    const [from, to] = windowAround(center, WINDOW, start, end);
    const positions = Array.from({ length: to - from }, (_, i) => from + i);
    const dims = s.allDims ? d.dHead : Math.min(SHOWN_DIMS, d.dHead);
    const cut = dims < d.dHead;
    const label = (i: number) => tokenLabel(tokens[i]?.text ?? '');
    const title = (i: number) => `#${i} ${quoted(tokens[i]?.text ?? '')}`;
    const recRow = (pos: number) => pos - start;
    const theme = s.theme;
    const bidirectional = rec.bidirectional;
    /** Whether the key of column c comes after the query of row r and is masked (causal attention only). */
    const masked = (r: number, c: number) => !bidirectional && positions[c] > positions[r];
    /** Keys after the tables that the queries see: every later analysed token of a bidirectional model. */
    const laterFrom = bidirectional ? to : rec.keys;

    const windowNote =
      data.queryCount > positions.length
        ? `${
            s.query !== null
              ? t(
                  'Tables show tokens {0}–{1}, {2} of the {3} explained tokens, around the selected query (pick a token in the strip to move them).',
                  from,
                  to - 1,
                  positions.length,
                  data.queryCount,
                )
              : t(
                  'Tables show tokens {0}–{1}, {2} of the {3} explained tokens, at the end of the selection (pick a token in the strip to move them).',
                  from,
                  to - 1,
                  positions.length,
                  data.queryCount,
                )
          } `
        : '';
    const earlier =
      from > 0
        ? plural(
            from,
            'Each query also sees the {0} earlier token to the left of the tables: the softmax and A·V use it, and the "earlier" column adds up its weight.',
            'Each query also sees the {0} earlier tokens to the left of the tables: the softmax and A·V use them, and the "earlier" column adds up their weight.',
          )
        : '';
    const later =
      laterFrom < rec.keys
        ? plural(
            rec.keys - laterFrom,
            'Each query also sees the {0} later token to the right of the tables: the softmax and A·V use it, and the "later" column adds up its weight.',
            'Each query also sees the {0} later tokens to the right of the tables: the softmax and A·V use them, and the "later" column adds up their weight.',
          )
        : '';
    const seen = [windowNote, earlier, later].filter(Boolean).join(' ');
    if (seen) this.element.appendChild(el('p', { class: 'ml-math-note', text: seen }));

    // ① Q, K, V
    const dimHeaders = Array.from({ length: dims }, (_, j) => `d${j}`);
    const vectorTable = (t: Float32Array, caption: string) =>
      matrixTable({
        caption,
        rowHeads: positions.map(label),
        rowTitles: positions.map(title),
        colHeads: cut ? [...dimHeaders, '…'] : dimHeaders,
        value: (r, c) => (c < dims ? t[positions[r] * d.dHead + c] : NaN),
        text: (v, _r, c) => (c < dims ? formatCell(v, 2) : '…'),
        ramp: 'diverging',
        theme,
        range: valueRange(
          positions.flatMap((p) => Array.from(t.subarray(p * d.dHead, p * d.dHead + dims))),
          { symmetric: true },
        ),
      });
    const allDimsToggle = el('vscode-checkbox', { attrs: { checked: s.allDims, label: t('Show all {0} dimensions', d.dHead) } });
    allDimsToggle.addEventListener('change', () => this.events.onAllDims((allDimsToggle as unknown as { checked: boolean }).checked));
    this.element.appendChild(
      step(
        '1',
        t('Queries, keys and values'),
        cut
          ? t(
              "Each token's vector entering the layer is multiplied by this head's W_Q, W_K and W_V (and, in models with rotary positions, rotated by its position), giving one row of Q (what the token looks for), K (what it offers to be found by) and V (what it passes on). d_k = {0} dimensions per head; the first {1} are shown.",
              d.dHead,
              dims,
            )
          : t(
              "Each token's vector entering the layer is multiplied by this head's W_Q, W_K and W_V (and, in models with rotary positions, rotated by its position), giving one row of Q (what the token looks for), K (what it offers to be found by) and V (what it passes on). d_k = {0} dimensions per head.",
              d.dHead,
            ),
        d.dHead > SHOWN_DIMS ? allDimsToggle : null,
        el(
          'div',
          { class: 'ml-table-row' },
          vectorTable(detail.q, t('Q (queries)')),
          vectorTable(detail.k, t('K (keys)')),
          vectorTable(detail.v, t('V (values)')),
        ),
      ),
    );

    // ② S = QKᵀ/√d_k
    const winRows = positions.map(recRow);
    const scoreAt = (t: Float32Array) => (r: number, c: number) => t[winRows[r] * rec.keys + positions[c]];
    const finiteScores: number[] = [];
    winRows.forEach((r, i) => positions.forEach((p) => (bidirectional || p <= positions[i]) && finiteScores.push(rec.scores[r * rec.keys + p])));
    const scoreRange = valueRange(finiteScores, { symmetric: true });
    const worked = this.workedDot(detail, s.query ?? positions[positions.length - 1], rec);
    this.element.appendChild(
      step(
        '2',
        t('Scores: QKᵀ / √d_k'),
        bidirectional
          ? t(
              'Row i, column j is the dot product of query i with key j, times 1/√{0} = {1}; the scaling keeps the scores from growing with the dimension, which would make the softmax nearly one-hot. This model attends in both directions, so every cell, above the diagonal too, is used.',
              d.dHead,
              d.scale.toPrecision(4),
            )
          : t(
              'Row i, column j is the dot product of query i with key j, times 1/√{0} = {1}; the scaling keeps the scores from growing with the dimension, which would make the softmax nearly one-hot. Greyed cells lie above the diagonal: computed, but about to be masked.',
              d.dHead,
              d.scale.toPrecision(4),
            ),
        worked,
        matrixTable({
          caption: t('S = QKᵀ/√d_k (rows: queries, columns: keys)'),
          rowHeads: positions.map(label),
          rowTitles: positions.map(title),
          colHeads: positions.map(label),
          colTitles: positions.map(title),
          value: scoreAt(rec.scores),
          text: (v) => formatCell(v, 2),
          ramp: 'diverging',
          theme,
          range: scoreRange,
          future: masked,
        }),
      ),
    );

    // ③ causal mask, or none
    this.element.appendChild(
      bidirectional
        ? step(
            '3',
            t('No causal mask: M = 0'),
            t(
              'This model reads the text in both directions (bidirectional attention, as BERT and other encoders do): a token may look at every token of the text, the later ones too, so M is 0 everywhere and S + M = S. Only padding would be masked, and one text has none.',
            ),
            null,
          )
        : step(
            '3',
            t('Causal mask: S + M'),
            t(
              'A token may only look at itself and the tokens before it: M is 0 on and below the diagonal and −∞ above it, so a later token can get no weight at all.',
            ),
            null,
            matrixTable({
              caption: 'S + M',
              rowHeads: positions.map(label),
              rowTitles: positions.map(title),
              colHeads: positions.map(label),
              colTitles: positions.map(title),
              value: scoreAt(rec.masked),
              text: (v) => formatCell(v, 2),
              ramp: 'diverging',
              theme,
              range: scoreRange,
              future: masked,
            }),
          ),
    );

    // ④ softmax
    const weightsShown: number[] = [];
    winRows.forEach((r) => positions.forEach((p) => weightsShown.push(rec.weights[r * rec.keys + p])));
    const aSpec = attentionScale(weightsShown, 'linear', 0);
    const weightSum = (r: number, keys: [number, number]) => {
      let sum = 0;
      for (let j = keys[0]; j < keys[1]; j++) sum += rec.weights[winRows[r] * rec.keys + j];
      return sum;
    };
    const hasEarlier = from > 0;
    const hasLater = laterFrom < rec.keys;
    const lead = hasEarlier ? 1 : 0;
    const patternLine = Number.isNaN(check.pattern)
      ? 'The model sent no pattern for this layer to compare with.'
      : `Matches the model's pattern${data.layers[d.layer]?.source.kind === 'recomputed' ? ' (recomputed by the engine from the same Q and K)' : ''} to ${formatSci(check.pattern)}: max |A − pattern| over all ${data.queryCount} × ${data.keys} weights.`;
    this.element.appendChild(
      step(
        '4',
        bidirectional ? t('Softmax: A = softmax(S)') : t('Softmax: A = softmax(S + M)'),
        t(
          'Each row is exponentiated and divided by its sum, so it becomes a probability distribution over the keys (every row adds up to 1, and exp(−∞) = 0). The largest weight of each row is outlined.',
        ),
        checkLine(check.pattern, 1e-4, patternLine),
        matrixTable({
          caption: t('A: the attention weights'),
          rowHeads: positions.map(label),
          rowTitles: positions.map(title),
          colHeads: [...(hasEarlier ? [t('earlier')] : []), ...positions.map(label), ...(hasLater ? [t('later')] : [])],
          colTitles: [
            ...(hasEarlier ? [t('Sum of the weights on tokens 0–{0}', from - 1)] : []),
            ...positions.map(title),
            ...(hasLater ? [t('Sum of the weights on tokens {0}–{1}', laterFrom, rec.keys - 1)] : []),
          ],
          value: (r, c) =>
            hasEarlier && c === 0
              ? weightSum(r, [0, from])
              : c - lead === positions.length
                ? weightSum(r, [laterFrom, rec.keys])
                : rec.weights[winRows[r] * rec.keys + positions[c - lead]],
          text: (v) => formatCell(v, 3),
          ramp: 'sequential',
          theme,
          range: aSpec.range,
          future: (r, c) => c >= lead && c - lead < positions.length && masked(r, c - lead),
          topPerRow: true,
          summaryCols: lead,
          summaryColsAfter: hasLater ? 1 : 0,
        }),
      ),
    );

    // ⑤ A·V
    const outRange = valueRange(
      positions.flatMap((p) => Array.from(rec.output.subarray(recRow(p) * d.dHead, recRow(p) * d.dHead + dims))),
      { symmetric: true },
    );
    this.element.appendChild(
      step(
        '5',
        t('Output: z = A·V'),
        t(
          "Each query's output is the average of the value vectors weighted by its row of A: the head copies information from the tokens it attends to. The heads' outputs are then concatenated and multiplied by W_O.",
        ),
        checkLine(
          check.output,
          1e-4,
          `Matches the model's z${data.layers[d.layer]?.source.kind === 'recomputed' ? " (the fused operator's own output)" : ''} to ${formatSci(check.output)}: max |A·V − z| over all ${data.queryCount} explained tokens × ${d.dHead} dims.`,
        ),
        matrixTable({
          caption: 'z = A·V',
          rowHeads: positions.map(label),
          rowTitles: positions.map(title),
          colHeads: cut ? [...dimHeaders, '…'] : dimHeaders,
          value: (r, c) => (c < dims ? rec.output[winRows[r] * d.dHead + c] : NaN),
          text: (v, _r, c) => (c < dims ? formatCell(v, 2) : '…'),
          ramp: 'diverging',
          theme,
          range: outRange,
        }),
      ),
    );
    // What comes after the head: the rest of the block and of the model, for the same token.
    const next = el('vscode-button', {
      text: t('Next: concat and W_O — follow {0} through the whole model', label(center)),
      attrs: { secondary: true, icon: 'list-ordered' },
    });
    next.addEventListener('click', () => this.events.onWalk(center));
    this.element.appendChild(el('div', { class: 'ml-math-next' }, next));
  }

  /** q·k for a query and its strongest key, spelled out term by term. */
  private workedDot(detail: DecodedDetail, pos: number, rec: HeadRecomputation): HTMLElement | null {
    const data = this.data!;
    const d = detail.detail;
    const r = pos - data.queryStart;
    if (r < 0 || r >= rec.rows.length) return null;
    let best = 0;
    const last = rec.bidirectional ? rec.keys - 1 : pos;
    for (let j = 1; j <= last; j++) if (rec.weights[r * rec.keys + j] > rec.weights[r * rec.keys + best]) best = j;
    const terms: string[] = [];
    let dot = 0;
    for (let j = 0; j < d.dHead; j++) {
      const a = detail.q[pos * d.dHead + j];
      const b = detail.k[best * d.dHead + j];
      dot += a * b;
      if (j < 3) terms.push(`${formatCell(a, 2)}×${formatCell(b, 2)}`);
    }
    const tokens = data.view.tokens;
    return el(
      'p',
      { class: 'ml-worked' },
      el('span', { class: 'ml-muted', text: 'For example, query ' }),
      el('span', { class: 'ml-tok', text: tokenLabel(tokens[pos]?.text ?? ''), title: quoted(tokens[pos]?.text ?? '') }),
      el('span', { class: 'ml-muted', text: ' with its strongest key ' }),
      el('span', { class: 'ml-tok', text: tokenLabel(tokens[best]?.text ?? ''), title: quoted(tokens[best]?.text ?? '') }),
      el('span', {
        text: `: q·k = ${terms.join(' + ')}${d.dHead > 3 ? ' + …' : ''} = ${formatCell(dot, 3)}; × ${d.scale.toPrecision(3)} = ${formatCell(dot * d.scale, 3)}`,
      }),
    );
  }
}

function formula(bidirectional: boolean): HTMLElement {
  // Attention(Q, K, V) = softmax(QKᵀ / √d_k + M) V, typeset with plain HTML; no M for a bidirectional model.
  const sub = (t: string) => el('sub', { text: t });
  const sup = (t: string) => el('sup', { text: t });
  const frac = el('span', { class: 'ml-frac' }, el('span', { class: 'ml-num' }, 'QK', sup('T')), el('span', { class: 'ml-den' }, '√d', sub('k')));
  return el(
    'div',
    {
      class: 'ml-formula',
      attrs: {
        role: 'math',
        'aria-label': bidirectional
          ? 'Attention of Q, K, V equals softmax of Q K transpose over square root of d k, times V'
          : 'Attention of Q, K, V equals softmax of Q K transpose over square root of d k, plus the mask M, times V',
      },
    },
    el('span', { text: 'Attention(Q, K, V) = softmax(' }),
    frac,
    el('span', { text: bidirectional ? ') V' : ' + M) V' }),
  );
}

interface TableSpec {
  caption: string;
  rowHeads: string[];
  rowTitles?: string[];
  colHeads: string[];
  colTitles?: string[];
  value: (r: number, c: number) => number;
  text: (v: number, r: number, c: number) => string;
  ramp: RampName;
  theme: ThemeKind;
  range: { min: number; max: number };
  /** Cells above the diagonal (drawn greyed; −∞ once masked). */
  future?: (r: number, c: number) => boolean;
  /** Outline the largest value of each row (ignoring summary columns). */
  topPerRow?: boolean;
  /** Leading columns that summarise others (not outlined as top). */
  summaryCols?: number;
  /** Trailing columns that summarise others (not outlined as top). */
  summaryColsAfter?: number;
}

function matrixTable(t: TableSpec): HTMLElement {
  const norm = normalizer({ kind: 'linear', range: t.range });
  const table = el('table', { class: 'ml-matrix' });
  table.appendChild(el('caption', { text: t.caption }));
  const head = el('tr', {}, el('th', { class: 'corner', attrs: { scope: 'col' } }));
  const firstDetail = t.summaryCols ?? 0;
  const endDetail = t.colHeads.length - (t.summaryColsAfter ?? 0);
  const isSummary = (c: number) => c < firstDetail || c >= endDetail;
  t.colHeads.forEach((h, c) =>
    head.appendChild(el('th', { class: `col${isSummary(c) ? ' summary' : ''}`, text: h, title: t.colTitles?.[c], attrs: { scope: 'col' } })),
  );
  table.appendChild(el('thead', {}, head));
  const body = el('tbody');
  t.rowHeads.forEach((h, r) => {
    const tr = el('tr', {}, el('th', { class: 'row', text: h, title: t.rowTitles?.[r], attrs: { scope: 'row' } }));
    let top = -1;
    if (t.topPerRow) {
      let best = -Infinity;
      for (let c = firstDetail; c < endDetail; c++) {
        const v = t.value(r, c);
        if (Number.isFinite(v) && v > best) {
          best = v;
          top = c;
        }
      }
    }
    t.colHeads.forEach((_, c) => {
      const v = t.value(r, c);
      const future = t.future?.(r, c) ?? false;
      const td = el('td', { text: t.text(v, r, c) });
      const summary = isSummary(c);
      if (future) td.className = Number.isFinite(v) ? 'future' : 'masked';
      else if (Number.isFinite(v) && !summary) {
        // Diverging tables centre their colours on 0 (t = 0.5); sequential ones start at 0.
        const n = norm(v);
        const rgb = rampColor(n, t.theme, t.ramp);
        td.style.backgroundColor = rgbCss(rgb);
        td.style.color = textOn(rgb);
      }
      if (summary) td.classList.add('summary');
      if (c === top) td.classList.add('top');
      td.title = `${t.rowTitles?.[r] ?? t.rowHeads[r]} · ${t.colTitles?.[c] ?? t.colHeads[c]}: ${Number.isFinite(v) ? formatWeight(v) : t.text(v, r, c)}`;
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  table.appendChild(body);
  return el('div', { class: 'ml-table-wrap' }, table);
}
