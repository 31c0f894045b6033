// Section 3: the logit lens. Each cell is what the model would predict for the next token if it
// stopped after that layer, at that token; its colour is that prediction's probability. The
// last row runs through the whole model: it is the model's output.
import type { SideAnalysisView } from '../../src/shared/protocol';
import { lutFor, normalizer, type ScaleSpec, type ThemeKind } from '../shared/colorScale';
import { el } from '../shared/dom';
import { t } from '../shared/l10n';
import { formatPercent, formatProb, quoted, tokenLabel, tooltipText } from '../shared/format';
import { Heatmap, type HeatmapCell, type HeatmapCellText } from '../shared/heatmap';
import { Legend } from '../shared/legend';
import type { Tooltip, TooltipLine } from '../shared/tooltip';
import type { Section } from './section';
import { WideGrid } from './wideGrid';
import { layerRowLabels, lensHits, lensPredictions, lensTopProbs, maxColumns, type LensData } from './sidebarData';

/** Probabilities are absolute: 0 to 1 for every grid, so colours compare across selections. */
const SCALE: ScaleSpec = { kind: 'linear', range: { min: 0, max: 1 } };
/** Cells hold a few characters of text: a fixed size, wide enough to read about seven. */
const CELL = { width: 48, height: 24 };

export class LensSection {
  private readonly heatmap: Heatmap;
  private readonly legend = new Legend({ format: formatPercent });
  private readonly wide: WideGrid;
  private readonly message: HTMLParagraphElement;
  private readonly caption: HTMLParagraphElement;
  private readonly grid: HTMLDivElement;
  /** Tokens shown: all of them unless one canvas cannot hold them. */
  private cols = 0;
  private view: SideAnalysisView | undefined;
  private lens: LensData | undefined;
  private hits: Uint8Array = new Uint8Array(0);
  private theme: ThemeKind = 'dark';

  constructor(
    private readonly section: Section,
    private readonly tooltip: Tooltip,
    onScroll: (x: number) => void,
  ) {
    this.heatmap = new Heatmap({
      ariaLabel: 'Logit lens: the top prediction for the next token after each layer, at each token',
      labelled: true,
      keyboard: true,
      cellSize: { min: CELL.width, max: CELL.width, aspect: CELL.width / CELL.height },
      maxLabelWidth: 80,
      onHover: (cell, e) => this.hover(cell, e),
      describeCell: (cell) => tooltipText(this.cellLines(cell)),
      cellText: (row, col) => this.cellText(row, col),
    });
    this.wide = new WideGrid(this.heatmap, onScroll);
    this.message = el('p', { class: 'ml-hint' });
    this.caption = el('p', { class: 'ml-caption' });
    this.grid = el('div', {}, this.caption, el('div', { class: 'ml-controls' }, this.legend.element), this.wide.scroller, this.wide.cut);
    section.body.append(this.message, this.grid);
  }

  setData(view: SideAnalysisView, lens: LensData | string | undefined, theme: ThemeKind, scrollX: number): void {
    this.view = view;
    this.theme = theme;
    this.caption.textContent =
      view.predicts === 'masked'
        ? t('What each layer would predict at each token, which the model sees; bold where that is the token itself. Hover a cell for the top 5.')
        : t('What each layer would predict next, at each token; bold where that is the next token of the text. Hover a cell for the top 5.');
    const ok = typeof lens === 'object';
    this.lens = ok ? lens : undefined;
    this.grid.hidden = !ok || view.tokens.length === 0;
    this.message.hidden = !this.grid.hidden;
    this.section.setExportable(ok);
    this.section.setDescription(ok ? `top ${lens.k}` : '');
    if (!ok) {
      this.message.textContent = typeof lens === 'string' ? lens : 'The logit lens is not available for this model or selection.';
      return;
    }
    this.cols = Math.min(lens.tokens, maxColumns(CELL, lens.rows, window.devicePixelRatio));
    this.wide.setShown(this.cols, lens.tokens);
    this.hits = lensHits(lens, view.tokens, view.predicts);
    this.heatmap.setData(
      { rows: lens.rows, cols: this.cols, values: lensTopProbs(lens, this.cols) },
      { rows: layerRowLabels(lens.rows, true), cols: view.tokens.slice(0, this.cols).map((t) => tokenLabel(t.text)) },
    );
    this.draw();
    this.wide.restoreScroll(scrollX);
  }

  themeChanged(theme: ThemeKind): void {
    this.theme = theme;
    this.heatmap.themeChanged();
    this.draw();
  }

  private draw(): void {
    if (!this.lens || this.grid.hidden) return;
    const lut = lutFor(this.theme);
    this.heatmap.setColors({ normalize: normalizer(SCALE), lut });
    this.legend.update(lut, SCALE, 'Probability of the top prediction.');
  }

  /** A cell's top prediction, bold when it is the text's next token. */
  private cellText(row: number, col: number): HeatmapCellText | undefined {
    const lens = this.lens;
    if (!lens) return undefined;
    const i = row * lens.tokens + col;
    return { text: tokenLabel(lens.pieces[lens.ids[i * lens.k]] ?? ''), strong: this.hits[i] === 1 };
  }

  private cellLines(cell: HeatmapCell): TooltipLine[] {
    const lens = this.lens!;
    const token = this.view?.tokens[cell.col];
    const next = this.view?.tokens[cell.col + 1];
    const row = cell.row === lens.rows - 1 ? 'model output' : cell.row === 0 ? 'embedding' : `after block ${cell.row - 1}`;
    const lines: TooltipLine[] = [`${row}, at ${quoted(token?.text ?? '')}`];
    for (const p of lensPredictions(lens, cell.row, cell.col)) lines.push([quoted(p.text), formatProb(p.prob)]);
    if (next) {
      const hit = lensPredictions(lens, cell.row, cell.col, lens.k).findIndex((p) => p.text === next.text);
      lines.push(`Next in the text: ${quoted(next.text)}${hit >= 0 ? ` (#${hit + 1} here)` : ''}`);
    }
    return lines;
  }

  private hover(cell: HeatmapCell | null, e: PointerEvent | KeyboardEvent | null): void {
    if (!cell || !this.lens) {
      this.tooltip.hide();
      return;
    }
    this.tooltip.showFor(this.cellLines(cell), e, () => this.heatmap.cellRect(cell.row, cell.col));
  }
}
