// Section 2: how large the residual stream is at each token after each block (a tokens × layers
// heatmap), and, for a clicked cell, the MLP neurons of that block most active at that token.
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { SideAnalysisView } from '../../src/shared/protocol';
import { lutFor, normalizer, type ScaleSpec, type ThemeKind } from '../shared/colorScale';
import { clear, el } from '../shared/dom';
import { t } from '../shared/l10n';
import { quoted, tokenLabel, tooltipText } from '../shared/format';
import { Heatmap, type HeatmapCell } from '../shared/heatmap';
import { Legend } from '../shared/legend';
import type { Tooltip, TooltipLine } from '../shared/tooltip';
import type { Section } from './section';
import { WideGrid } from './wideGrid';
import { firstColumns, formatNorm, layerRowLabels, maxColumns, neuronBars, NORM_QUANTILE, quantile, rowNormalized } from './sidebarData';

export interface ActivationEvents {
  /** A cell was clicked: token index and grid row (0 = embedding, r = after block r − 1). */
  onSelect(token: number, row: number): void;
  onRowScale(rowScale: boolean): void;
  onScroll(x: number): void;
}

type Neurons = { kind: 'pending' } | { kind: 'ready'; neurons: { index: number; value: number }[] };

/** Smallest cell side: every row label fits; longer selections scroll sideways. */
const MIN_CELL = 14;

export class ActivationsSection {
  private readonly heatmap: Heatmap;
  private readonly legend = new Legend({ format: (v) => (v === 0 ? '0' : formatNorm(v)) });
  private readonly rowScale: VscodeCheckbox;
  private readonly wide: WideGrid;
  private readonly message: HTMLParagraphElement;
  private readonly grid: HTMLDivElement;
  private readonly neurons: HTMLDivElement;
  private view: SideAnalysisView | undefined;
  /** Norms of the tokens shown, [layer + 1, cols]. */
  private norms: Float32Array | undefined;
  private cols = 0;
  private rowLabels: string[] = [];
  private selected: { token: number; row: number } | null = null;
  private theme: ThemeKind = 'dark';

  constructor(
    private readonly section: Section,
    private readonly tooltip: Tooltip,
    private readonly events: ActivationEvents,
  ) {
    this.heatmap = new Heatmap({
      ariaLabel: t('Residual stream norm by layer and token'),
      labelled: true,
      keyboard: true,
      cellSize: { min: MIN_CELL, max: 26 },
      maxLabelWidth: 80,
      onHover: (cell, e) => this.hover(cell, e),
      onClick: (cell) => this.events.onSelect(cell.col, cell.row),
      describeCell: (cell) => tooltipText(this.cellLines(cell)),
    });
    this.rowScale = el('vscode-checkbox', {
      title: t('The stream grows through the layers; scaling each row to its own maximum shows which tokens stand out within a layer.'),
      attrs: { label: t('Scale each row separately') },
    });
    this.rowScale.addEventListener('change', () => this.events.onRowScale(this.rowScale.checked));
    this.wide = new WideGrid(this.heatmap, (x) => this.events.onScroll(x));
    const scroller = this.wide.scroller;
    // Cells fit the panel's width (down to a minimum, then the grid scrolls); collapsed is width 0.
    new ResizeObserver(() => scroller.clientWidth > 0 && this.heatmap.setAvailableWidth(scroller.clientWidth)).observe(scroller);
    this.message = el('p', { class: 'ml-hint' });
    this.neurons = el('div', { class: 'ml-neurons', attrs: { 'aria-live': 'polite' } });
    this.grid = el(
      'div',
      {},
      el('p', { class: 'ml-caption', text: t('Size (L2 norm) of the residual stream at each token, after each block.') }),
      el('div', { class: 'ml-controls' }, this.rowScale, this.legend.element),
      this.wide.scroller,
      this.wide.cut,
      this.neurons,
    );
    section.body.append(this.message, this.grid);
  }

  setData(view: SideAnalysisView, norms: Float32Array | string | undefined, rowScale: boolean, theme: ThemeKind, scrollX: number): void {
    this.view = view;
    this.theme = theme;
    this.selected = null;
    const ok = norms instanceof Float32Array;
    const count = view.tokens.length;
    // One canvas holds the grid: beyond what it can hold, the first tokens are shown.
    this.cols = Math.min(count, maxColumns(MIN_CELL, view.layers + 1, window.devicePixelRatio));
    this.norms = ok ? firstColumns(norms, view.layers + 1, count, this.cols) : undefined;
    this.wide.setShown(this.cols, count);
    this.grid.hidden = !ok || view.tokens.length === 0;
    this.message.hidden = !this.grid.hidden;
    this.section.setExportable(ok);
    this.section.setDescription(ok ? `${view.layers + 1} × ${view.tokens.length}` : '');
    if (!ok) {
      this.message.textContent = typeof norms === 'string' ? norms : 'This model exposes no residual stream, so there is nothing to show here.';
      return;
    }
    this.rowLabels = layerRowLabels(view.layers + 1, false);
    this.rowScale.checked = rowScale;
    this.draw();
    this.showNeurons();
    this.wide.restoreScroll(scrollX);
  }

  setRowScale(rowScale: boolean): void {
    this.rowScale.checked = rowScale;
    this.draw();
  }

  themeChanged(theme: ThemeKind): void {
    this.theme = theme;
    this.heatmap.themeChanged();
    this.draw();
  }

  /** The clicked cell, with its neurons being fetched (`pending`) or fetched. */
  select(cell: { token: number; row: number } | null, neurons: Neurons = { kind: 'pending' }): void {
    this.selected = cell;
    this.heatmap.setHighlight(cell ? { cell: { row: cell.row, col: cell.token } } : {});
    this.showNeurons(neurons);
  }

  private draw(): void {
    const view = this.view;
    const norms = this.norms;
    if (!view || !norms) return;
    const rows = view.layers + 1;
    const cols = this.cols;
    const scaled = this.rowScale.checked;
    const values = scaled ? rowNormalized(norms, rows, cols) : norms;
    const top = scaled ? 1 : quantile(norms, NORM_QUANTILE);
    const clamped = Array.prototype.some.call(values, (v: number) => v > top);
    const lut = lutFor(this.theme);
    const spec: ScaleSpec = { kind: 'linear', range: { min: 0, max: top } };
    this.heatmap.setData({ rows, cols, values }, { rows: this.rowLabels, cols: view.tokens.slice(0, cols).map((t) => tokenLabel(t.text)) });
    this.heatmap.setColors({ normalize: normalizer(spec), lut });
    // Scaled rows each have their own top: the ends are relative, and the caption says so.
    const outliers = clamped ? 'the few larger ones get the top colour' : '';
    if (scaled) this.legend.update(lut, null, `Each row from 0 to its own typical top${outliers ? `; ${outliers}` : ''}.`);
    else this.legend.update(lut, spec, outliers ? `Residual norm; ${outliers}.` : 'Residual norm.');
  }

  private cellLines(cell: HeatmapCell): TooltipLine[] {
    const token = this.view?.tokens[cell.col];
    const raw = this.norms?.[cell.row * this.cols + cell.col] ?? NaN;
    const lines: TooltipLine[] = [
      quoted(token?.text ?? ''),
      ['Row', cell.row === 0 ? 'embedding' : `after block ${cell.row - 1}`],
      ['‖resid‖', formatNorm(raw)],
    ];
    lines.push(cell.row === 0 ? 'The embedding comes before any MLP.' : `Click for the top MLP neurons of layer ${cell.row - 1}.`);
    return lines;
  }

  private hover(cell: HeatmapCell | null, e: PointerEvent | KeyboardEvent | null): void {
    if (!cell) {
      this.tooltip.hide();
      return;
    }
    this.tooltip.showFor(this.cellLines(cell), e, () => this.heatmap.cellRect(cell.row, cell.col));
  }

  private showNeurons(neurons: Neurons = { kind: 'pending' }): void {
    const box = this.neurons;
    clear(box);
    const cell = this.selected;
    const view = this.view;
    if (!cell || !view) {
      box.append(el('p', { class: 'ml-hint', text: t('Click a cell (or focus the heatmap and press Enter) to list the MLP neurons most active there.') }));
      return;
    }
    const token = tokenLabel(view.tokens[cell.token]?.text ?? '');
    if (cell.row === 0) {
      box.append(el('p', { class: 'ml-hint', text: `The embedding row comes before any MLP: pick a cell in a layer row to see neurons at “${token}”.` }));
      return;
    }
    const layer = cell.row - 1;
    box.append(el('div', { class: 'ml-neurons-title' }, `Top MLP neurons of layer ${layer} at `, el('span', { class: 'ml-token', text: `“${token}”` })));
    if (neurons.kind === 'pending') {
      box.append(
        el(
          'div',
          { class: 'ml-loading' },
          el('vscode-progress-ring', { attrs: { 'aria-hidden': 'true' } }),
          el('span', { text: t('Reading the activations…') }),
        ),
      );
      return;
    }
    if (!neurons.neurons.length) {
      box.append(el('p', { class: 'ml-hint', text: `This model exposes no MLP activations for layer ${layer}.` }));
      return;
    }
    const list = el('ol', { class: 'ml-bars', attrs: { 'aria-label': `Top MLP neurons of layer ${layer}` } });
    for (const n of neuronBars(neurons.neurons)) {
      const fill = el('span', { class: `ml-bar-fill${n.value < 0 ? ' negative' : ''}` });
      fill.style.width = `${(n.fraction * 100).toFixed(1)}%`;
      list.append(
        el(
          'li',
          { class: 'ml-bar-row', title: `Neuron ${n.index}: ${n.value}` },
          el('span', { class: 'ml-bar-index', text: `#${n.index}` }),
          el('span', { class: 'ml-bar', attrs: { 'aria-hidden': 'true' } }, fill),
          el('span', { class: 'ml-bar-value', text: formatNorm(n.value) }),
        ),
      );
    }
    box.append(list);
  }
}
