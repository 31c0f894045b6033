// Text drawn over the cells of a labelled Heatmap, on a second canvas laid exactly over it.
// A stop-gap until the shared Heatmap can draw text in its cells: then the lens grid hands its
// labels to the Heatmap and this file goes.
import { textOn, rampColor, type ThemeKind } from '../shared/colorScale';
import { el } from '../shared/dom';
import type { Heatmap } from '../shared/heatmap';
import { ellipsize } from '../shared/layout';
import { cssVar } from '../shared/theme';

export interface CellLabel {
  text: string;
  /** Drawn bold. */
  strong?: boolean;
}

export class CellText {
  readonly canvas: HTMLCanvasElement;

  constructor(private readonly heatmap: Heatmap) {
    this.canvas = el('canvas', { class: 'ml-cell-text', attrs: { 'aria-hidden': 'true' } });
  }

  /**
   * Draws `label(row, col)` centred in each cell, in black or white for contrast with the cell's
   * colour (`shade(row, col)` in [0, 1] on the theme's sequential ramp).
   */
  draw(rows: number, cols: number, label: (row: number, col: number) => CellLabel, shade: (row: number, col: number) => number, theme: ThemeKind): void {
    // The heatmap lays itself out when it renders: render now so that the cells are where we draw.
    this.heatmap.render();
    const base = this.heatmap.canvas;
    // Sizes from the canvas itself, not from the page: a collapsed section still gets its text.
    const dpr = window.devicePixelRatio || 1;
    const width = base.width / dpr;
    const height = base.height / dpr;
    this.canvas.width = base.width;
    this.canvas.height = base.height;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const box = base.getBoundingClientRect();
    const first = this.heatmap.cellRect(0, 0);
    if (!first) return;
    const size = first.width;
    const px = Math.max(9, Math.min(11, Math.floor(size / 3.6)));
    const family = cssVar('--vscode-editor-font-family', 'monospace', base);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    const measure = (s: string) => ctx.measureText(s).width;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const { text, strong } = label(r, c);
        if (!text) continue;
        ctx.font = `${strong ? '700 ' : ''}${px}px ${family}`;
        const x = first.left - box.left + (c + 0.5) * size;
        const y = first.top - box.top + (r + 0.5) * size;
        ctx.fillStyle = textOn(rampColor(shade(r, c), theme));
        ctx.fillText(ellipsize(text, size - 4, measure), x, y);
      }
    }
  }
}
