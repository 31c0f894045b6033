// The canvas heatmap every webview uses: a rows × cols matrix drawn through a colour scale, on
// one canvas, never a DOM node per cell. Two layouts:
//  - compact (thumbnails): the canvas has one pixel per cell and CSS scales it, so a grid of
//    144 heads costs one putImageData each, once per data or colour change;
//  - labelled: a device-pixel-ratio-sharp canvas with row/column labels, a crosshair, keyboard
//    navigation, optionally text in the cells; cells are painted once into an offscreen image and
//    only composited on hover, and cell text is drawn only where the canvas is on screen.
// Nothing here knows about attention.
import { LUT_SIZE, lutColor, lutIndex, textOn } from './colorScale';
import { el } from './dom';
import { cellAt, cellsOverlapping, clamp, ellipsize, fitCellSize, labelStride } from './layout';
import { cssVar } from './theme';

export interface HeatmapCell {
  row: number;
  col: number;
  /** The data value (NaN where the matrix has no value, e.g. a masked cell). */
  value: number;
}

export interface HeatmapMatrix {
  rows: number;
  cols: number;
  /** Row-major [row, col]. */
  values: ArrayLike<number>;
}

export interface HeatmapLabels {
  /** Shown left of each row (labelled layout). Already made printable by the caller. */
  rows?: readonly string[];
  /** Shown above each column, rotated. */
  cols?: readonly string[];
  /** Axis names, e.g. "query" and "key". */
  rowTitle?: string;
  colTitle?: string;
  /** Columns before which a divider is drawn (e.g. where the context ends). */
  colDividers?: readonly number[];
}

export interface HeatmapColors {
  /** Value → [0, 1], NaN for "no value" (drawn transparent). */
  normalize: (value: number) => number;
  /** RGBA table of LUT_SIZE entries (colorScale.buildLut). */
  lut: Uint8ClampedArray;
}

export interface HeatmapHighlight {
  row?: number;
  col?: number;
  /** The cell under the pointer or keyboard cursor: outlined, with its row and column banded. */
  cell?: { row: number; col: number };
}

export interface HeatmapOptions {
  /** What the canvas shows, for screen readers. */
  ariaLabel: string;
  /** Labelled layout (see above); compact when false. */
  labelled?: boolean;
  /**
   * Labelled layout: bounds of a cell's width in CSS pixels (default 6..28; cells shrink within
   * them to fit the available width), and its width ÷ height (default 1, square cells).
   */
  cellSize?: { min: number; max: number; aspect?: number };
  /** Labelled layout: widest a label may get before it is ellipsised (CSS px, default 110). */
  maxLabelWidth?: number;
  /** Focusable; arrow keys move a cursor cell, Enter/Space click it. */
  keyboard?: boolean;
  onHover?: (cell: HeatmapCell | null, event: PointerEvent | KeyboardEvent | null) => void;
  onClick?: (cell: HeatmapCell, event: MouseEvent | KeyboardEvent) => void;
  /** Sentence read out when the keyboard cursor moves onto a cell. */
  describeCell?: (cell: HeatmapCell) => string;
  /**
   * Labelled layout: text drawn centred in a cell (ellipsised to fit, bold when `strong`), in
   * black or white for contrast with the cell's colour. Drawn only when cells are at least
   * TEXT_MIN_WIDTH × TEXT_MIN_HEIGHT, and only for the cells on screen, so long grids stay cheap.
   */
  cellText?: (row: number, col: number) => HeatmapCellText | undefined;
}

export interface HeatmapCellText {
  text: string;
  /** Drawn bold. */
  strong?: boolean;
}

/** Smallest cell (CSS px) that gets its `cellText`: room for a few characters at 9–11 px. */
export const TEXT_MIN_WIDTH = 24;
export const TEXT_MIN_HEIGHT = 16;

interface Layout {
  /** CSS pixels. */
  width: number;
  height: number;
  x0: number;
  y0: number;
  cellW: number;
  cellH: number;
  fontPx: number;
  rowStride: number;
  colStride: number;
  rowLabelW: number;
  colLabelH: number;
}

const PAD = 6;

/** A block of cells, rows [r0, r1) × cols [c0, c1). */
interface CellRange {
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

/** Labelled heatmaps draw at the device pixel ratio, which changes when the window changes screen. */
const sharp = new Set<Heatmap>();
function watchPixelRatio(): void {
  const query = matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
  query.addEventListener(
    'change',
    () => {
      sharp.forEach((h) => h.themeChanged());
      watchPixelRatio();
    },
    { once: true },
  );
}
let watching = false;

export class Heatmap {
  /** Put this in the page: the canvas plus a visually hidden live region. */
  readonly element: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  private readonly live: HTMLDivElement;
  private readonly options: HeatmapOptions;
  private matrix: HeatmapMatrix = { rows: 0, cols: 0, values: new Float32Array(0) };
  private labels: HeatmapLabels = {};
  private colors: HeatmapColors | undefined;
  private highlight: HeatmapHighlight = {};
  private cursor: { row: number; col: number } | null = null;
  private available = 0;
  private layout: Layout | undefined;
  private cells: HTMLCanvasElement | undefined;
  private cellsDirty = true;
  private frame = 0;
  private hovered: { row: number; col: number } | null = null;
  /** Cells whose text the canvas holds now (null: none); more is drawn when scrolling leaves it. */
  private textDrawn: CellRange | null = null;
  /** Ellipsised cell text by "font|text", for the current layout. */
  private readonly fitted = new Map<string, string>();
  private readonly stopWatching: (() => void)[] = [];

  constructor(options: HeatmapOptions) {
    this.options = options;
    this.canvas = el('canvas', {
      class: options.labelled ? 'ml-heatmap-canvas labelled' : 'ml-heatmap-canvas compact',
      attrs: { role: 'img', 'aria-label': options.ariaLabel, tabindex: options.keyboard ? 0 : undefined, 'aria-roledescription': 'heatmap' },
    });
    this.live = el('div', { class: 'ml-visually-hidden', attrs: { 'aria-live': 'polite' } });
    this.element = el('div', { class: 'ml-heatmap' }, this.canvas, this.live);
    if (options.labelled) {
      sharp.add(this);
      if (!watching) {
        watching = true;
        watchPixelRatio();
      }
    }
    this.canvas.addEventListener('pointermove', (e) => this.pointerMove(e));
    this.canvas.addEventListener('pointerleave', () => this.pointerLeave());
    this.canvas.addEventListener('click', (e) => this.click(e));
    if (options.labelled && options.cellText) this.watchVisibility();
    if (options.keyboard) {
      this.canvas.addEventListener('keydown', (e) => this.keyDown(e));
      this.canvas.addEventListener('blur', () => {
        this.cursor = null;
        this.setHighlightCell(null);
        this.options.onHover?.(null, null);
      });
    }
  }

  setAriaLabel(label: string): void {
    this.canvas.setAttribute('aria-label', label);
  }

  setData(matrix: HeatmapMatrix, labels: HeatmapLabels = {}): void {
    if (matrix.values.length < matrix.rows * matrix.cols) throw new Error(`heatmap: ${matrix.values.length} values for ${matrix.rows} × ${matrix.cols}`);
    this.matrix = matrix;
    this.labels = labels;
    this.layout = undefined;
    this.cellsDirty = true;
    if (this.cursor && (this.cursor.row >= matrix.rows || this.cursor.col >= matrix.cols)) this.cursor = null;
    this.invalidate();
  }

  setColors(colors: HeatmapColors): void {
    if (colors.lut.length < LUT_SIZE * 4) throw new Error('heatmap: LUT too short');
    this.colors = colors;
    this.cellsDirty = true;
    this.invalidate();
  }

  /** Band a row and/or a column and outline a cell (labelled layout; ignored in compact). */
  setHighlight(highlight: HeatmapHighlight): void {
    this.highlight = highlight;
    if (this.options.labelled) this.invalidate();
  }

  /** Labelled layout: the width (CSS px) the heatmap may use; cells shrink to fit it. */
  setAvailableWidth(width: number): void {
    if (Math.abs(width - this.available) < 1) return;
    this.available = width;
    this.layout = undefined;
    this.invalidate();
  }

  /** Re-read theme colours, fonts and the pixel ratio (the LUT comes separately through setColors). */
  themeChanged(): void {
    this.layout = undefined;
    this.invalidate();
  }

  /** The cell at a point of the viewport, or null. */
  cellAtClient(clientX: number, clientY: number): HeatmapCell | null {
    const r = this.canvas.getBoundingClientRect();
    const { rows, cols } = this.matrix;
    if (!rows || !cols || !r.width || !r.height) return null;
    const x = clientX - r.left;
    const y = clientY - r.top;
    const hit =
      this.options.labelled && this.layout
        ? cellAt(x, y, this.layout.x0, this.layout.y0, this.layout.cellW, this.layout.cellH, rows, cols)
        : cellAt(x, y, 0, 0, r.width / cols, r.height / rows, rows, cols);
    return hit ? { ...hit, value: this.valueAt(hit.row, hit.col) } : null;
  }

  valueAt(row: number, col: number): number {
    return Number(this.matrix.values[row * this.matrix.cols + col]);
  }

  /** Draws now (not on the next frame) without the hover highlight and returns a PNG data URL. */
  toDataURL(): string {
    const saved = this.highlight;
    const savedHover = this.hovered;
    this.highlight = {};
    this.hovered = null;
    this.render(true);
    const url = this.canvas.toDataURL('image/png');
    this.highlight = saved;
    this.hovered = savedHover;
    this.invalidate();
    return url;
  }

  /**
   * Draws now; normally drawing waits for the next animation frame so updates coalesce. `all`:
   * cell text everywhere, not only on screen (for an image of the whole heatmap).
   */
  render(all = false): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    if (this.options.labelled) this.renderLabelled(all);
    else this.renderCompact();
  }

  destroy(): void {
    sharp.delete(this);
    if (this.frame) cancelAnimationFrame(this.frame);
    this.stopWatching.forEach((stop) => stop());
    this.element.remove();
  }

  private invalidate(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.render());
  }

  /** Fills ImageData with one pixel per cell through the LUT; NaN cells stay transparent. */
  private paintCells(target: ImageData): void {
    const { rows, cols, values } = this.matrix;
    const colors = this.colors;
    if (!colors) return;
    const { normalize, lut } = colors;
    const px = target.data;
    const n = rows * cols;
    for (let i = 0; i < n; i++) {
      const idx = lutIndex(normalize(Number(values[i])));
      const o = i * 4;
      if (idx < 0) {
        px[o + 3] = 0;
        continue;
      }
      const l = idx * 4;
      px[o] = lut[l];
      px[o + 1] = lut[l + 1];
      px[o + 2] = lut[l + 2];
      px[o + 3] = 255;
    }
  }

  private renderCompact(): void {
    if (!this.cellsDirty) return;
    const { rows, cols } = this.matrix;
    const c = this.canvas;
    if (c.width !== Math.max(1, cols) || c.height !== Math.max(1, rows)) {
      c.width = Math.max(1, cols);
      c.height = Math.max(1, rows);
    }
    const ctx = c.getContext('2d');
    if (!ctx || !rows || !cols) return;
    const img = ctx.createImageData(cols, rows);
    this.paintCells(img);
    ctx.putImageData(img, 0, 0);
    this.cellsDirty = false;
    // Nearest-neighbour scaling keeps cells crisp when enlarged but drops whole cells (a
    // diagonal turns dotted) when shrunk; smooth scaling averages them instead.
    const shown = this.canvas.clientWidth * (window.devicePixelRatio || 1);
    const rendering = shown > 0 && shown < cols ? 'auto' : 'pixelated';
    // Writing only on change avoids forcing a layout per thumbnail when a grid redraws.
    if (this.canvas.style.imageRendering !== rendering) this.canvas.style.imageRendering = rendering;
  }

  private font(px: number, weight: 400 | 600 | 700 = 400): string {
    const family = cssVar('--vscode-editor-font-family', 'monospace', this.canvas);
    return `${weight === 400 ? '' : `${weight} `}${px}px ${family}`;
  }

  private computeLayout(ctx: CanvasRenderingContext2D): Layout {
    const { rows, cols } = this.matrix;
    const bounds = this.options.cellSize ?? { min: 6, max: 28 };
    const aspect = bounds.aspect ?? 1;
    const maxLabel = this.options.maxLabelWidth ?? 110;
    const rowLabels = this.labels.rows ?? [];
    const colLabels = this.labels.cols ?? [];
    // First guess the cell from the room left by labels at full size, then size the font to it.
    ctx.font = this.font(12);
    const widest = (labels: readonly string[]) =>
      Math.min(
        maxLabel,
        labels.reduce((m, s) => Math.max(m, ctx.measureText(s).width), 0),
      );
    const rowLabelFull = rowLabels.length ? widest(rowLabels) + PAD * 2 : 0;
    const available = this.available || this.canvas.parentElement?.clientWidth || 400;
    const cellW = fitCellSize(available - rowLabelFull - PAD * 2, cols, bounds.min, bounds.max);
    const cellH = Math.max(1, Math.round(cellW / aspect));
    const fontPx = clamp(Math.floor(Math.min(cellW, cellH) * 0.8), 9, 12);
    ctx.font = this.font(fontPx);
    const rowLabelW = rowLabels.length
      ? Math.min(
          maxLabel,
          rowLabels.reduce((m, s) => Math.max(m, ctx.measureText(s).width), 0),
        ) +
        PAD * 2
      : 0;
    const colLabelH = colLabels.length
      ? Math.min(
          maxLabel,
          colLabels.reduce((m, s) => Math.max(m, ctx.measureText(s).width), 0),
        ) +
        PAD * 2
      : 0;
    const titleH = this.labels.colTitle ? fontPx + 6 : 0;
    const x0 = rowLabelW + (this.labels.rowTitle ? fontPx + 6 : 0);
    const y0 = colLabelH + titleH;
    this.fitted.clear();
    return {
      width: x0 + cols * cellW + PAD,
      height: y0 + rows * cellH + PAD,
      x0,
      y0,
      cellW,
      cellH,
      fontPx,
      rowStride: labelStride(cellH, fontPx + 2),
      colStride: labelStride(cellW, fontPx + 2),
      rowLabelW,
      colLabelH,
    };
  }

  private renderLabelled(all: boolean): void {
    const c = this.canvas;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const { rows, cols } = this.matrix;
    if (!this.layout) this.layout = this.computeLayout(ctx);
    const L = this.layout;
    const dpr = window.devicePixelRatio || 1;
    const pw = Math.round(L.width * dpr);
    const ph = Math.round(L.height * dpr);
    if (c.width !== pw || c.height !== ph) {
      c.width = pw;
      c.height = ph;
      c.style.width = `${L.width}px`;
      c.style.height = `${L.height}px`;
    }
    if (this.cellsDirty || !this.cells) {
      this.cells ??= document.createElement('canvas');
      this.cells.width = Math.max(1, cols);
      this.cells.height = Math.max(1, rows);
      const cctx = this.cells.getContext('2d');
      if (cctx && rows && cols) {
        const img = cctx.createImageData(cols, rows);
        this.paintCells(img);
        cctx.putImageData(img, 0, 0);
      }
      this.cellsDirty = false;
    }
    const fg = cssVar('--vscode-editor-foreground', '#cccccc', c);
    // An app can give its heatmaps the background they sit on (the side bar's, say).
    const bg = cssVar('--ml-heatmap-background', '', c) || cssVar('--vscode-editor-background', '#1e1e1e', c);
    const focus = cssVar('--vscode-focusBorder', '#007fd4', c);
    const muted = cssVar('--vscode-descriptionForeground', fg, c);
    const empty = cssVar('--ml-empty-cell', 'rgba(128,128,128,0.12)', c);

    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = bg;
    ctx.fillRect(0, 0, L.width, L.height);
    const gw = cols * L.cellW;
    const gh = rows * L.cellH;
    // Cells without a value (masked, i.e. future tokens) show as a faint field, not as "zero".
    ctx.fillStyle = empty;
    ctx.fillRect(L.x0, L.y0, gw, gh);
    ctx.imageSmoothingEnabled = false;
    if (this.cells && rows && cols) ctx.drawImage(this.cells, L.x0, L.y0, gw, gh);
    // Thin separators once cells are big enough to read as cells.
    if (Math.min(L.cellW, L.cellH) >= 10) {
      ctx.strokeStyle = bg;
      ctx.globalAlpha = 0.55;
      ctx.lineWidth = 1 / dpr;
      ctx.beginPath();
      for (let i = 1; i < cols; i++) {
        ctx.moveTo(L.x0 + i * L.cellW, L.y0);
        ctx.lineTo(L.x0 + i * L.cellW, L.y0 + gh);
      }
      for (let i = 1; i < rows; i++) {
        ctx.moveTo(L.x0, L.y0 + i * L.cellH);
        ctx.lineTo(L.x0 + gw, L.y0 + i * L.cellH);
      }
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
    this.drawCellText(ctx, L, fg, all);

    if (this.labels.colDividers?.length) {
      ctx.strokeStyle = fg;
      ctx.globalAlpha = 0.6;
      ctx.lineWidth = 1;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      for (const c of this.labels.colDividers) {
        if (c <= 0 || c >= cols) continue;
        const x = Math.round(L.x0 + c * L.cellW) + 0.5;
        ctx.moveTo(x, L.y0 - PAD);
        ctx.lineTo(x, L.y0 + gh);
      }
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
    }

    const hover = this.hovered ?? this.highlight.cell ?? null;
    const hRow = hover?.row ?? this.highlight.row;
    const hCol = hover?.col ?? this.highlight.col;
    // Crosshair: dim everything outside the hovered row and column a little.
    if (hover) {
      ctx.fillStyle = bg;
      ctx.globalAlpha = 0.4;
      const left = hover.col * L.cellW;
      const right = (hover.col + 1) * L.cellW;
      const top = hover.row * L.cellH;
      const bottom = (hover.row + 1) * L.cellH;
      ctx.fillRect(L.x0, L.y0, left, top);
      ctx.fillRect(L.x0 + right, L.y0, gw - right, top);
      ctx.fillRect(L.x0, L.y0 + bottom, left, gh - bottom);
      ctx.fillRect(L.x0 + right, L.y0 + bottom, gw - right, gh - bottom);
      ctx.globalAlpha = 1;
    }
    ctx.strokeStyle = focus;
    ctx.lineWidth = 1.5;
    if (this.highlight.row !== undefined && this.highlight.row < rows)
      ctx.strokeRect(L.x0 + 0.75, L.y0 + this.highlight.row * L.cellH + 0.75, gw - 1.5, L.cellH - 1.5);
    if (this.highlight.col !== undefined && this.highlight.col < cols)
      ctx.strokeRect(L.x0 + this.highlight.col * L.cellW + 0.75, L.y0 + 0.75, L.cellW - 1.5, gh - 1.5);
    if (hover) {
      ctx.lineWidth = 2;
      ctx.strokeRect(L.x0 + hover.col * L.cellW + 1, L.y0 + hover.row * L.cellH + 1, L.cellW - 2, L.cellH - 2);
    }

    // Labels: ellipsised to the label band, every n-th when cells are smaller than the text,
    // and always the highlighted ones.
    const maxLabel = this.options.maxLabelWidth ?? 110;
    ctx.textBaseline = 'middle';
    const rowLabels = this.labels.rows ?? [];
    ctx.textAlign = 'right';
    for (let r = 0; r < rows && r < rowLabels.length; r++) {
      const isHi = r === hRow;
      if (!isHi && r % L.rowStride !== 0) continue;
      ctx.font = this.font(L.fontPx, isHi ? 600 : 400);
      ctx.fillStyle = isHi ? focus : fg;
      const text = ellipsize(rowLabels[r], maxLabel, (s) => ctx.measureText(s).width);
      ctx.fillText(text, L.x0 - PAD, L.y0 + (r + 0.5) * L.cellH);
    }
    const colLabels = this.labels.cols ?? [];
    ctx.textAlign = 'left';
    for (let k = 0; k < cols && k < colLabels.length; k++) {
      const isHi = k === hCol;
      if (!isHi && k % L.colStride !== 0) continue;
      ctx.font = this.font(L.fontPx, isHi ? 600 : 400);
      ctx.fillStyle = isHi ? focus : fg;
      const text = ellipsize(colLabels[k], maxLabel, (s) => ctx.measureText(s).width);
      ctx.save();
      ctx.translate(L.x0 + (k + 0.5) * L.cellW, L.y0 - PAD);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(text, 0, 0);
      ctx.restore();
    }
    ctx.font = this.font(Math.max(9, L.fontPx - 1));
    ctx.fillStyle = muted;
    if (this.labels.colTitle) {
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillText(this.labels.colTitle, L.x0, 2);
    }
    if (this.labels.rowTitle) {
      ctx.save();
      ctx.translate(2, L.y0);
      ctx.rotate(Math.PI / 2);
      ctx.textAlign = 'left';
      ctx.textBaseline = 'bottom';
      ctx.fillText(this.labels.rowTitle, 0, 0);
      ctx.restore();
    }
  }

  private pointerMove(e: PointerEvent): void {
    const cell = this.cellAtClient(e.clientX, e.clientY);
    const same = cell && this.hovered && cell.row === this.hovered.row && cell.col === this.hovered.col;
    if (same || (!cell && !this.hovered)) {
      if (cell) this.options.onHover?.(cell, e);
      return;
    }
    this.setHighlightCell(cell);
    this.options.onHover?.(cell, e);
  }

  private pointerLeave(): void {
    this.setHighlightCell(null);
    this.options.onHover?.(null, null);
  }

  private click(e: MouseEvent): void {
    const cell = this.cellAtClient(e.clientX, e.clientY);
    if (cell) this.options.onClick?.(cell, e);
  }

  private setHighlightCell(cell: { row: number; col: number } | null): void {
    this.hovered = cell ? { row: cell.row, col: cell.col } : null;
    if (this.options.labelled) this.invalidate();
  }

  private keyDown(e: KeyboardEvent): void {
    const { rows, cols } = this.matrix;
    if (!rows || !cols) return;
    const cur = this.cursor ?? { row: this.highlight.row ?? 0, col: this.highlight.col ?? 0 };
    let { row, col } = cur;
    switch (e.key) {
      case 'ArrowUp':
        row--;
        break;
      case 'ArrowDown':
        row++;
        break;
      case 'ArrowLeft':
        col--;
        break;
      case 'ArrowRight':
        col++;
        break;
      case 'Home':
        col = 0;
        break;
      case 'End':
        col = cols - 1;
        break;
      case 'PageUp':
        row = 0;
        break;
      case 'PageDown':
        row = rows - 1;
        break;
      case 'Enter':
      case ' ': {
        e.preventDefault();
        const cell = { ...cur, value: this.valueAt(cur.row, cur.col) };
        this.options.onClick?.(cell, e);
        return;
      }
      default:
        return;
    }
    e.preventDefault();
    this.cursor = { row: clamp(row, 0, rows - 1), col: clamp(col, 0, cols - 1) };
    const cell = { ...this.cursor, value: this.valueAt(this.cursor.row, this.cursor.col) };
    this.setHighlightCell(this.cursor);
    this.options.onHover?.(cell, e);
    if (this.options.describeCell) this.live.textContent = this.options.describeCell(cell);
  }

  /** Viewport rectangle of a cell (labelled layout), e.g. to place a tooltip for the keyboard. */
  cellRect(row: number, col: number): DOMRect | null {
    if (!this.layout) return null;
    const r = this.canvas.getBoundingClientRect();
    const L = this.layout;
    return new DOMRect(r.left + L.x0 + col * L.cellW, r.top + L.y0 + row * L.cellH, L.cellW, L.cellH);
  }

  /** Draws `cellText` over the cells on screen (all of them with `all`), remembering which. */
  private drawCellText(ctx: CanvasRenderingContext2D, L: Layout, fg: string, all: boolean): void {
    const label = this.options.cellText;
    const colors = this.colors;
    const { rows, cols } = this.matrix;
    this.textDrawn = null;
    if (!label || !colors || !rows || !cols || L.cellW < TEXT_MIN_WIDTH || L.cellH < TEXT_MIN_HEIGHT) return;
    const range = all ? { r0: 0, r1: rows, c0: 0, c1: cols } : this.cellsOnScreen(L, 0.5);
    this.textDrawn = range;
    const px = clamp(Math.floor(Math.min(L.cellW / 3.6, L.cellH * 0.45)), 9, 11);
    const fonts = { normal: this.font(px), strong: this.font(px, 700) };
    const room = L.cellW - 4;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    let current = '';
    for (let r = range.r0; r < range.r1; r++) {
      for (let c = range.c0; c < range.c1; c++) {
        const cell = label(r, c);
        if (!cell?.text) continue;
        const font = cell.strong ? fonts.strong : fonts.normal;
        if (font !== current) ctx.font = current = font;
        const key = `${font}|${cell.text}`;
        let text = this.fitted.get(key);
        if (text === undefined) {
          text = ellipsize(cell.text, room, (s) => ctx.measureText(s).width);
          this.fitted.set(key, text);
        }
        // A cell without a value shows the empty field, which is about the background.
        const color = lutColor(colors.lut, colors.normalize(this.valueAt(r, c)));
        ctx.fillStyle = color ? textOn(color) : fg;
        ctx.fillText(text, L.x0 + (c + 0.5) * L.cellW, L.y0 + (r + 0.5) * L.cellH);
      }
    }
  }

  /**
   * The cells inside the window (a superset of those really visible: a scrolling ancestor may
   * clip more), widened by `margin` of the window's size on every side so that small scrolls do
   * not need a redraw. Empty when the canvas is not displayed.
   */
  private cellsOnScreen(L: Layout, margin: number): CellRange {
    const { rows, cols } = this.matrix;
    const r = this.canvas.getBoundingClientRect();
    if (!r.width || !r.height) return { r0: 0, r1: 0, c0: 0, c1: 0 };
    const mx = window.innerWidth * margin;
    const my = window.innerHeight * margin;
    const [c0, c1] = cellsOverlapping(-r.left - mx, window.innerWidth - r.left + mx, L.x0, L.cellW, cols);
    const [r0, r1] = cellsOverlapping(-r.top - my, window.innerHeight - r.top + my, L.y0, L.cellH, rows);
    return { r0, r1, c0, c1 };
  }

  /** Cell text is drawn only on screen: redraw when scrolling, resizing or showing the canvas uncovers more. */
  private watchVisibility(): void {
    const check = () => {
      const L = this.layout;
      const drawn = this.textDrawn;
      if (!L || !drawn || this.frame) return;
      const need = this.cellsOnScreen(L, 0);
      if (need.r0 >= need.r1 || need.c0 >= need.c1) return;
      if (need.r0 < drawn.r0 || need.r1 > drawn.r1 || need.c0 < drawn.c0 || need.c1 > drawn.c1) this.invalidate();
    };
    const options = { capture: true, passive: true };
    window.addEventListener('scroll', check, options);
    window.addEventListener('resize', check, options);
    // A collapsed section shows its grid again without a scroll.
    const shown = new IntersectionObserver(check);
    shown.observe(this.canvas);
    this.stopWatching.push(
      () => window.removeEventListener('scroll', check, options),
      () => window.removeEventListener('resize', check, options),
      () => shown.disconnect(),
    );
  }
}
