// BertViz-style lines: queries in the left column, keys in the right, a line from query to key
// with opacity = the weight on the shared colour scale. With nothing focused every line is
// drawn; a focused query (hover or selection) keeps its outgoing lines, a hovered key its
// incoming ones. Token labels are DOM (textContent); the lines are one canvas.
import { clear, el } from '../shared/dom';
import { quoted, tokenLabel } from '../shared/format';
import { cssVar } from '../shared/theme';
import { formatWeight } from './format';
import type { TokenView } from '../../src/shared/protocol';

export interface LinesData {
  tokens: readonly TokenView[];
  /** tokens index of row 0 / column 0. */
  firstQuery: number;
  firstKey: number;
  rows: number;
  cols: number;
  /** [row, col], NaN for masked cells. */
  values: Float32Array;
  normalize: (v: number) => number;
}

export interface LinesEvents {
  /** A query label was clicked (tokens index). */
  onPick(index: number): void;
  /** Pointer over a query (row) or key (col); both null when it leaves. */
  onHover(row: number | null, col: number | null): void;
}

const ROW_H = 20;
const CANVAS_W = 150;
/** Beyond this many lines, "all lines" would be a grey blur; draw only the focused ones. */
const MAX_ALL_LINES = 64 * 64;

export class LinesView {
  readonly element: HTMLDivElement;
  private readonly left: HTMLDivElement;
  private readonly right: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private data: LinesData | undefined;
  private selectedRow: number | null = null;
  private hoverRow: number | null = null;
  private hoverCol: number | null = null;
  private frame = 0;

  constructor(private readonly events: LinesEvents) {
    this.left = el('div', { class: 'ml-lines-col left', attrs: { role: 'list', 'aria-label': 'Queries' } });
    this.right = el('div', { class: 'ml-lines-col right', attrs: { role: 'list', 'aria-label': 'Keys' } });
    this.canvas = el('canvas', { class: 'ml-lines-canvas', attrs: { 'aria-hidden': 'true' } });
    const body = el('div', { class: 'ml-lines-body' }, this.left, this.canvas, this.right);
    this.element = el(
      'div',
      { class: 'ml-lines', attrs: { role: 'group', 'aria-label': 'Attention as lines from each query (left) to the keys it attends to (right)' } },
      el('div', { class: 'ml-lines-head', attrs: { 'aria-hidden': 'true' } }, el('span', { text: 'query' }), el('span', { text: 'key' })),
      body,
    );
    this.left.addEventListener('pointerover', (e) => this.hoverFrom(e, 'row'));
    this.right.addEventListener('pointerover', (e) => this.hoverFrom(e, 'col'));
    body.addEventListener('pointerleave', () => this.setHover(null, null));
    this.left.addEventListener('click', (e) => {
      const item = (e.target as HTMLElement).closest<HTMLElement>('[data-index]');
      if (item) this.events.onPick(Number(item.dataset.index));
    });
  }

  setData(data: LinesData): void {
    const rebuild =
      !this.data ||
      this.data.tokens !== data.tokens ||
      this.data.firstQuery !== data.firstQuery ||
      this.data.firstKey !== data.firstKey ||
      this.data.rows !== data.rows ||
      this.data.cols !== data.cols;
    this.data = data;
    if (rebuild) {
      this.fill(this.left, data.firstQuery, data.rows, true);
      this.fill(this.right, data.firstKey, data.cols, false);
    }
    this.invalidate();
  }

  /** The selected query (row index), shown when nothing is hovered. */
  setSelectedRow(row: number | null): void {
    this.selectedRow = row;
    this.left.querySelectorAll('.selected').forEach((e) => e.classList.remove('selected'));
    const item = row === null ? undefined : (this.left.children[row] as HTMLElement | undefined);
    if (item) {
      item.classList.add('selected');
      // Bring the selected query into the scroll box without scrolling the page around it.
      const box = this.element;
      const top = item.offsetTop - box.offsetTop;
      if (top < box.scrollTop || top > box.scrollTop + box.clientHeight - ROW_H) box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    }
    this.invalidate();
  }

  /** Hover from elsewhere (the heatmap's crosshair). */
  setHover(row: number | null, col: number | null, notify = true): void {
    if (row === this.hoverRow && col === this.hoverCol) return;
    this.hoverRow = row;
    this.hoverCol = col;
    for (const [list, index] of [
      [this.left, row],
      [this.right, col],
    ] as const) {
      list.querySelectorAll('.hover').forEach((e) => e.classList.remove('hover'));
      if (index !== null) list.children[index]?.classList.add('hover');
    }
    if (notify) this.events.onHover(row, col);
    this.invalidate();
  }

  themeChanged(): void {
    this.invalidate();
  }

  private fill(list: HTMLElement, first: number, count: number, queries: boolean): void {
    const tokens = this.data?.tokens ?? [];
    clear(list);
    for (let i = 0; i < count; i++) {
      const t = tokens[first + i];
      if (!t) continue;
      const context = !queries && first + i < this.data!.firstQuery;
      list.appendChild(
        el('div', {
          class: `ml-lines-token${queries ? ' query' : ''}${context ? ' context' : ''}`,
          text: tokenLabel(t.text),
          title: `#${first + i} ${quoted(t.text)}`,
          attrs: { role: 'listitem', 'data-index': first + i, 'data-pos': i },
        }),
      );
    }
  }

  private hoverFrom(e: PointerEvent, side: 'row' | 'col'): void {
    const item = (e.target as HTMLElement).closest<HTMLElement>('[data-pos]');
    if (!item) return;
    const pos = Number(item.dataset.pos);
    if (side === 'row') this.setHover(pos, null);
    else this.setHover(null, pos);
  }

  private invalidate(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  private draw(): void {
    this.frame = 0;
    const d = this.data;
    if (!d) return;
    const height = Math.max(d.rows, d.cols) * ROW_H;
    const dpr = window.devicePixelRatio || 1;
    const c = this.canvas;
    if (c.width !== Math.round(CANVAS_W * dpr) || c.height !== Math.round(height * dpr)) {
      c.width = Math.round(CANVAS_W * dpr);
      c.height = Math.round(height * dpr);
      c.style.width = `${CANVAS_W}px`;
      c.style.height = `${height}px`;
    }
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, CANVAS_W, height);
    const out = cssVar('--vscode-charts-blue', '#3794ff', c);
    const inc = cssVar('--vscode-charts-orange', '#d18616', c);
    ctx.lineWidth = 1.5;
    ctx.lineCap = 'round';
    const line = (r: number, k: number, color: string, scale: number) => {
      const w = d.values[r * d.cols + k];
      const t = d.normalize(w);
      if (!(t > 0.01)) return;
      ctx.globalAlpha = Math.min(1, t * scale);
      ctx.strokeStyle = color;
      ctx.beginPath();
      ctx.moveTo(2, (r + 0.5) * ROW_H);
      ctx.lineTo(CANVAS_W - 2, (k + 0.5) * ROW_H);
      ctx.stroke();
    };
    const row = this.hoverRow ?? (this.hoverCol === null ? this.selectedRow : null);
    if (row !== null && row < d.rows) {
      for (let k = 0; k < d.cols; k++) line(row, k, out, 1);
      this.label(this.right, (k) => d.values[row * d.cols + k]);
    } else if (this.hoverCol !== null && this.hoverCol < d.cols) {
      for (let r = 0; r < d.rows; r++) line(r, this.hoverCol, inc, 1);
      const col = this.hoverCol;
      this.label(this.left, (r) => d.values[r * d.cols + col]);
    } else {
      this.label(null, () => NaN);
      if (d.rows * d.cols <= MAX_ALL_LINES) for (let r = 0; r < d.rows; r++) for (let k = 0; k < d.cols; k++) line(r, k, out, 0.6);
    }
    ctx.globalAlpha = 1;
  }

  /** Shows the weights next to the tokens on the far side of the focused one. */
  private label(list: HTMLElement | null, weight: (i: number) => number): void {
    for (const side of [this.left, this.right]) {
      Array.from(side.children).forEach((child, i) => {
        const w = side === list ? weight(i) : NaN;
        if (Number.isFinite(w)) (child as HTMLElement).dataset.weight = formatWeight(w);
        else delete (child as HTMLElement).dataset.weight;
      });
    }
  }
}
