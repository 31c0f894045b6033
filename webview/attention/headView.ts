// One head (or the mean of a layer's heads, or the rollout) large: a labelled heatmap of
// [explained query, key] with the weight under the pointer, next to the lines view, and the
// strongest keys of the selected query.
import type { HeadChoice } from '../../src/shared/protocol';
import type { ThemeKind } from '../shared/colorScale';
import { clear, el } from '../shared/dom';
import { quoted, tokenLabel } from '../shared/format';
import { Heatmap, type HeatmapCell } from '../shared/heatmap';
import { scoreEntries } from '../shared/headTypes';
import { Legend } from '../shared/legend';
import { t } from '../shared/l10n';
import type { Tooltip } from '../shared/tooltip';
import { shownMatrix, topK, type ShownMatrix } from './aggregate';
import { matrixColors, type MatrixColors, type ScaleSettings } from './colors';
import { choiceTitle, formatWeight } from './format';
import { LinesView } from './linesView';
import type { ViewData } from './viewData';

/** Narrower than this, the lines view goes below the heatmap. */
const STACK_BELOW = 760;
/** The gap between heatmap and lines view (CSS). */
const GAP = 24;

export interface HeadViewEvents {
  /** A query row was picked (tokens index). */
  onPick(index: number): void;
}

export interface HeadViewSettings extends ScaleSettings {
  layer: number;
  head: HeadChoice;
  includeContext: boolean;
  theme: ThemeKind;
}

export class HeadView {
  readonly element: HTMLDivElement;
  readonly heatmap: Heatmap;
  private readonly title: HTMLHeadingElement;
  private readonly subtitle: HTMLDivElement;
  private readonly readout: HTMLDivElement;
  private readonly top: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly placeholder: HTMLDivElement;
  private readonly legend = new Legend({ format: formatWeight });
  private readonly lines: LinesView;
  private data: ViewData | undefined;
  private shown: ShownMatrix | undefined;
  private colors: MatrixColors | undefined;
  private selected: number | null = null;

  constructor(
    private readonly tooltip: Tooltip,
    private readonly events: HeadViewEvents,
  ) {
    this.title = el('h2', { class: 'ml-view-title' });
    this.subtitle = el('div', { class: 'ml-view-subtitle' });
    this.readout = el('div', { class: 'ml-readout', attrs: { 'aria-hidden': 'true' } });
    this.heatmap = new Heatmap({
      ariaLabel: 'Attention heatmap',
      labelled: true,
      keyboard: true,
      cellSize: { min: 5, max: 26 },
      onHover: (cell, e) => this.hover(cell, e),
      onClick: (cell) => this.data && this.events.onPick(this.data.queryStart + cell.row),
      describeCell: (cell) => this.describe(cell),
    });
    this.lines = new LinesView({
      onPick: (i) => this.events.onPick(i),
      onHover: (row, col) => {
        this.heatmap.setHighlight(this.baseHighlight(row, col));
      },
    });
    this.top = el('div', { class: 'ml-topkeys', attrs: { 'aria-live': 'polite' } });
    this.placeholder = el('div', { class: 'ml-placeholder' });
    this.placeholder.hidden = true;
    const map = el('div', { class: 'ml-head-map' }, this.readout, this.heatmap.element);
    this.body = el('div', { class: 'ml-head-body' }, map, this.lines.element);
    this.element = el(
      'div',
      { class: 'ml-head-view' },
      el('div', { class: 'ml-view-header' }, el('div', {}, this.title, this.subtitle), this.legend.element),
      this.placeholder,
      this.body,
      this.top,
    );
    new ResizeObserver(() => this.fit()).observe(this.body);
  }

  setData(data: ViewData): void {
    this.data = data;
  }

  /** Redraws for a choice / scale / theme change. */
  update(settings: HeadViewSettings): void {
    const data = this.data;
    if (!data) return;
    const { layer, head } = settings;
    this.title.textContent = choiceTitle(layer, head);
    const full = data.matrix(layer, head);
    const source = data.layers[layer]?.source;
    if (!full) {
      this.body.hidden = true;
      this.top.hidden = true;
      this.legend.element.hidden = true;
      this.placeholder.hidden = false;
      clear(this.placeholder);
      const why =
        head === 'rollout'
          ? t('The host did not compute an attention rollout for this analysis.')
          : source?.kind === 'unavailable'
            ? source.reason
            : t('No attention pattern for this layer.');
      this.placeholder.append(
        el('span', { class: 'codicon codicon-circle-slash', attrs: { 'aria-hidden': 'true' } }),
        el('span', { text: t('Nothing to show: {0}', why) }),
      );
      this.subtitle.textContent = '';
      return;
    }
    this.body.hidden = false;
    this.top.hidden = false;
    this.legend.element.hidden = false;
    this.placeholder.hidden = true;
    this.subtitle.textContent = this.describeChoice(settings);
    const shown = shownMatrix(full, data.queryStart, data.queryCount, data.keys, settings.includeContext, data.bidirectional);
    this.shown = shown;
    this.colors = matrixColors(shown.values, shown.cols, shown.firstTokenColumn, settings, settings.theme);
    const tokens = data.view.tokens;
    const label = (i: number) => tokenLabel(tokens[i]?.text ?? '');
    this.heatmap.setData(
      { rows: shown.rows, cols: shown.cols, values: shown.values },
      {
        rows: Array.from({ length: shown.rows }, (_, r) => label(data.queryStart + r)),
        cols: Array.from({ length: shown.cols }, (_, c) => label(shown.keys.from + c)),
        rowTitle: 'query →',
        colTitle: shown.keys.from < data.queryStart ? 'key → (context | explained tokens)' : 'key →',
        colDividers: shown.keys.from < data.queryStart ? [data.queryStart - shown.keys.from] : [],
      },
    );
    this.heatmap.setColors(this.colors);
    this.heatmap.setAriaLabel(
      `${choiceTitle(layer, head)}: attention of ${shown.rows} query tokens (rows) over ${shown.cols} key tokens (columns). Arrow keys move across cells; Enter selects the row's token as the query.`,
    );
    this.lines.setData({
      tokens,
      firstQuery: data.queryStart,
      firstKey: shown.keys.from,
      rows: shown.rows,
      cols: shown.cols,
      values: shown.values,
      normalize: this.colors.normalize,
    });
    this.lines.themeChanged();
    const ignored =
      settings.ignoreFirst && shown.firstTokenColumn >= 0
        ? ` Token 0 ${quoted(tokens[0]?.text ?? '')} is left out of the range and drawn clamped.`
        : settings.ignoreFirst
          ? ' (Token 0 is not on screen.)'
          : '';
    this.legend.update(
      this.colors.lut,
      this.colors.spec,
      `${settings.kind === 'log' ? t('Log scale over the cells shown.') : t('Linear scale over the cells shown.')}${ignored}`,
    );
    this.setSelected(this.selected);
    this.fit();
  }

  /** The selected query (tokens index) or null. */
  setSelected(index: number | null): void {
    this.selected = index;
    const data = this.data;
    const shown = this.shown;
    if (!data || !shown) return;
    const row = index === null ? null : index - data.queryStart;
    const valid = row !== null && row >= 0 && row < shown.rows ? row : null;
    this.heatmap.setHighlight(this.baseHighlight(null, null));
    this.lines.setSelectedRow(valid);
    clear(this.top);
    if (valid === null) {
      this.top.appendChild(
        el('span', { class: 'ml-muted', text: t('Click a row, a token in the strip or a query on the left of the lines to see what it attends to most.') }),
      );
      return;
    }
    const rowValues = shown.values.subarray(valid * shown.cols, (valid + 1) * shown.cols);
    const best = topK(rowValues, 5);
    const tokens = data.view.tokens;
    this.top.appendChild(el('span', { class: 'ml-topkeys-label', text: t('{0} attends most to', tokenLabel(tokens[index!]?.text ?? '')) }));
    for (const b of best) {
      const k = shown.keys.from + b.index;
      this.top.appendChild(
        el(
          'span',
          { class: 'ml-topkey', title: `#${k} ${quoted(tokens[k]?.text ?? '')}` },
          el('span', { class: 'ml-topkey-token', text: tokenLabel(tokens[k]?.text ?? '') }),
          el('span', { class: 'ml-topkey-weight', text: formatWeight(b.value) }),
        ),
      );
    }
  }

  /** Colours used now (the strip tints with them). */
  get currentColors(): MatrixColors | undefined {
    return this.colors;
  }

  toDataURL(): string {
    return this.heatmap.toDataURL();
  }

  private baseHighlight(row: number | null, col: number | null) {
    const sel = this.selected !== null && this.data ? this.selected - this.data.queryStart : undefined;
    return { row: row ?? (sel !== undefined && sel >= 0 ? sel : undefined), col: col ?? undefined };
  }

  /** Sizes the heatmap to the room beside the lines view, or puts the lines below it when narrow. */
  private fit(): void {
    const width = this.body.clientWidth;
    if (width <= 0) return;
    const stacked = width < STACK_BELOW;
    this.body.classList.toggle('stacked', stacked);
    this.heatmap.setAvailableWidth(stacked ? width : width - this.lines.element.offsetWidth - GAP);
  }

  private describeChoice(s: HeadViewSettings): string {
    const data = this.data!;
    const parts: string[] = [];
    if (s.head === 'mean') parts.push(`Mean of the ${data.view.model.heads} heads' patterns.`);
    if (s.head === 'rollout')
      parts.push(
        `Attention rollout: each layer's mean of heads plus the residual path, ${s.layer === 0 ? 'for layer 0 alone' : `multiplied through layers 0 to ${s.layer}`}: how much each key's token flows into each query by this layer.`,
      );
    if (typeof s.head === 'number') {
      const scores = data.layers[s.layer]?.scores?.[s.head];
      if (scores)
        parts.push(
          scoreEntries(scores)
            .map(([name, value]) => `${name} ${value}`)
            .join(' · '),
        );
    }
    return parts.join(' ');
  }

  private describe(cell: HeatmapCell): string {
    const data = this.data;
    const shown = this.shown;
    if (!data || !shown) return '';
    const q = data.queryStart + cell.row;
    const k = shown.keys.from + cell.col;
    const t = data.view.tokens;
    const w = Number.isNaN(cell.value) ? 'masked: a later token' : formatWeight(cell.value);
    return `query ${q} ${quoted(t[q]?.text ?? '')} to key ${k} ${quoted(t[k]?.text ?? '')}: ${w}`;
  }

  private hover(cell: HeatmapCell | null, e: PointerEvent | KeyboardEvent | null): void {
    const data = this.data;
    const shown = this.shown;
    this.lines.setHover(cell?.row ?? null, null, false);
    if (!cell || !data || !shown) {
      this.tooltip.hide();
      this.readout.textContent = '';
      return;
    }
    const q = data.queryStart + cell.row;
    const k = shown.keys.from + cell.col;
    const tokens = data.view.tokens;
    const weight = Number.isNaN(cell.value) ? 'masked (a later token: the causal mask hides it)' : formatWeight(cell.value);
    this.readout.textContent = `${tokenLabel(tokens[q]?.text ?? '')} → ${tokenLabel(tokens[k]?.text ?? '')}  ${weight}`;
    const lines = [`Query #${q} ${quoted(tokens[q]?.text ?? '')}`, ['key', `#${k} ${quoted(tokens[k]?.text ?? '')}`] as const, ['weight', weight] as const];
    this.tooltip.showFor(lines, e, () => this.heatmap.cellRect(cell.row, cell.col));
  }
}
