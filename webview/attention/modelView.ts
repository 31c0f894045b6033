// Every head at once (BertViz's "model view"): layers as rows, heads as columns, one compact
// canvas per head. Thumbnails are drawn only when the data, the scale or the theme change, each
// through its own colour range so that weak heads still show their shape.
import type { HeadScores } from '../../src/shared/headScores';
import type { HeadRef } from '../../src/shared/protocol';
import { lutFor, type ThemeKind } from '../shared/colorScale';
import { clear, el } from '../shared/dom';
import { t } from '../shared/l10n';
import { Heatmap } from '../shared/heatmap';
import { badges, scoreEntries } from '../shared/headTypes';
import { Legend } from '../shared/legend';
import type { Tooltip, TooltipLine } from '../shared/tooltip';
import { shownMatrix, type ShownMatrix } from './aggregate';
import { matrixColors, type ScaleSettings } from './colors';
import { formatWeight } from './format';
import { isAblated } from './state';
import type { ViewData } from './viewData';

export interface ModelViewEvents {
  onOpen(layer: number, head: number): void;
  /** Switch a head off, or back on (alt-click, its button, or A). */
  onToggleAblation(layer: number, head: number): void;
}

function scoreLines(scores: HeadScores | undefined): TooltipLine[] {
  return scores ? scoreEntries(scores) : ['Head-type scores: not measured'];
}

interface Thumb {
  layer: number;
  head: number;
  cell: HTMLElement;
  heatmap: Heatmap;
  /** Switches the head off; aria-disabled where the model cannot intervene at its layer. */
  ablate: HTMLButtonElement;
}

export class ModelView {
  readonly element: HTMLDivElement;
  private readonly grid: HTMLDivElement;
  private thumbs: Thumb[] = [];
  private data: ViewData | undefined;
  private focused = { layer: 0, head: 0 };
  private ablated: readonly HeadRef[] = [];
  private readonly legend: Legend;
  private readonly shownCache = new Map<string, ShownMatrix>();

  constructor(
    private readonly tooltip: Tooltip,
    private readonly events: ModelViewEvents,
  ) {
    this.grid = el('div', {
      class: 'ml-grid',
      attrs: { role: 'grid', 'aria-label': 'Attention of every head: layers are rows, heads are columns. Arrow keys move, Enter opens a head.' },
    });
    this.grid.addEventListener('keydown', (e) => this.keyDown(e));
    this.legend = new Legend({ format: formatWeight });
    this.element = el(
      'div',
      { class: 'ml-model-view' },
      el(
        'div',
        { class: 'ml-view-header' },
        el('div', {
          class: 'ml-model-hint',
          text: t(
            'Every head of every layer. In each thumbnail, rows are the explained tokens (queries) and columns the tokens they can attend to (keys); each has its own colour range. Badges mark heads whose previous-token, sink, self or induction score is at least 0.4. Click a head to open it; alt-click it (or focus it and press A) to switch it off.',
          ),
        }),
        this.legend.element,
      ),
      this.grid,
    );
  }

  /** Rebuilds the grid for a new analysis. */
  setData(data: ViewData): void {
    this.data = data;
    this.shownCache.clear();
    this.thumbs.forEach((t) => t.heatmap.destroy());
    this.thumbs = [];
    clear(this.grid);
    const { layers, heads } = data.view.model;
    this.grid.style.setProperty('--ml-heads', String(heads));
    const header = el(
      'div',
      { class: 'ml-grid-row ml-grid-header', attrs: { role: 'row' } },
      el('div', { class: 'ml-grid-corner', attrs: { role: 'columnheader' } }),
    );
    for (let h = 0; h < heads; h++)
      header.appendChild(el('div', { class: 'ml-grid-colhead', text: `H${h}`, attrs: { role: 'columnheader', 'aria-label': `Head ${h}` } }));
    this.grid.appendChild(header);
    for (let L = 0; L < layers; L++) {
      const row = el(
        'div',
        { class: 'ml-grid-row', attrs: { role: 'row' } },
        el('div', { class: 'ml-grid-rowhead', text: `L${L}`, attrs: { role: 'rowheader', 'aria-label': `Layer ${L}` } }),
      );
      const layer = data.layers[L];
      if (!layer.pattern) {
        const reason = layer.source.kind === 'unavailable' ? layer.source.reason : 'No attention pattern for this layer.';
        row.appendChild(
          el(
            'div',
            { class: 'ml-grid-unavailable', attrs: { role: 'gridcell', 'aria-label': `Layer ${L}: attention unavailable. ${reason}` } },
            el('span', { class: 'codicon codicon-circle-slash', attrs: { 'aria-hidden': 'true' } }),
            el('span', { text: t('Attention unavailable: {0}', reason) }),
          ),
        );
        this.grid.appendChild(row);
        continue;
      }
      for (let h = 0; h < heads; h++) {
        const heatmap = new Heatmap({ ariaLabel: `Layer ${L}, head ${h}` });
        // The grid cell around it carries the label; the canvas would only repeat it.
        heatmap.canvas.setAttribute('aria-hidden', 'true');
        const scores = layer.scores?.[h];
        const marks = el('div', { class: 'ml-thumb-badges', attrs: { 'aria-hidden': 'true' } });
        for (const b of badges(scores)) marks.appendChild(el('span', { class: `ml-badge type-${b}`, text: b }));
        const offered = data.view.ablatable[L] === true;
        // Not focusable itself: the grid's arrow keys reach the cell, and A switches it off.
        const ablate = el('button', {
          class: 'ml-ablate codicon codicon-circle-slash',
          title: offered
            ? `Switch off layer ${L}, head ${h} (alt-click the head, or press A)`
            : `Heads of layer ${L} cannot be switched off: the model exposes no blocks.${L}.attn.hook_z to intervene at.`,
          attrs: {
            type: 'button',
            tabindex: -1,
            'aria-label': `Switch off layer ${L}, head ${h}`,
            'aria-pressed': offered ? 'false' : undefined,
            'aria-disabled': offered ? undefined : 'true',
          },
        });
        ablate.addEventListener('click', (e) => {
          e.stopPropagation();
          if (offered) this.events.onToggleAblation(L, h);
        });
        const cell = el(
          'div',
          { class: 'ml-thumb', attrs: { role: 'gridcell', tabindex: -1, 'data-layer': L, 'data-head': h } },
          heatmap.element,
          marks,
          ablate,
        );
        cell.addEventListener('click', (e) => {
          if (!e.altKey) this.events.onOpen(L, h);
          else if (offered) this.events.onToggleAblation(L, h);
        });
        cell.addEventListener('pointerenter', (e) => this.showTip(L, h, e.clientX, e.clientY));
        cell.addEventListener('pointermove', (e) => this.showTip(L, h, e.clientX, e.clientY));
        cell.addEventListener('pointerleave', () => this.tooltip.hide());
        cell.addEventListener('focus', () => {
          this.focused = { layer: L, head: h };
          this.tooltip.showAt(this.tipLines(L, h), cell);
        });
        cell.addEventListener('blur', () => this.tooltip.hide());
        row.appendChild(cell);
        this.thumbs.push({ layer: L, head: h, cell, heatmap, ablate });
      }
      this.grid.appendChild(row);
    }
    const first = this.thumbs.find((t) => t.layer === this.focused.layer && t.head === this.focused.head) ?? this.thumbs[0];
    if (first) first.cell.tabIndex = 0;
    this.setAblated(this.ablated);
  }

  /** Marks the switched-off heads. */
  setAblated(ablated: readonly HeadRef[]): void {
    this.ablated = ablated;
    for (const t of this.thumbs) {
      const off = isAblated(ablated, t.layer, t.head);
      t.cell.classList.toggle('ablated', off);
      if (t.ablate.getAttribute('aria-disabled') !== 'true') t.ablate.setAttribute('aria-pressed', String(off));
    }
  }

  /** Redraws every thumbnail: call on data, scale, context or theme change only. */
  draw(settings: ScaleSettings, includeContext: boolean, theme: ThemeKind): void {
    const data = this.data;
    if (!data) return;
    const first = includeContext || data.queryStart === 0 ? '' : ' Token 0 is not among the keys shown.';
    const log = settings.kind === 'log';
    this.legend.update(
      lutFor(theme),
      null,
      `${log ? 'Log scale over four decades' : 'Linear scale from 0'} up to each head's own maximum${settings.ignoreFirst ? ', token 0 left out of the range and drawn clamped' : ''}.${settings.ignoreFirst ? first : ''}`,
      log,
    );
    for (const t of this.thumbs) {
      const shown = this.shown(t.layer, t.head, includeContext);
      if (!shown) continue;
      const colors = matrixColors(shown.values, shown.cols, shown.firstTokenColumn, settings, theme);
      t.heatmap.setData({ rows: shown.rows, cols: shown.cols, values: shown.values });
      t.heatmap.setColors(colors);
      const s = data.layers[t.layer].scores?.[t.head];
      const summary = s
        ? scoreEntries(s)
            .map(([name, value]) => `${name} ${value}`)
            .join(', ')
        : '';
      const label = `Layer ${t.layer}, head ${t.head}: ${shown.rows} queries × ${shown.cols} keys. ${summary}. Press Enter to open${data.view.ablatable[t.layer] ? ', A to switch it off or on' : ''}.`;
      t.cell.setAttribute('aria-label', label);
    }
  }

  /** The cropped matrix of a head (masked where the model's attention is causal); kept, since a scale change does not change it. */
  private shown(layer: number, head: number, includeContext: boolean): ShownMatrix | undefined {
    const key = `${layer}:${head}:${includeContext}`;
    let m = this.shownCache.get(key);
    if (!m && this.data) {
      const full = this.data.matrix(layer, head);
      if (!full) return undefined;
      m = shownMatrix(full, this.data.queryStart, this.data.queryCount, this.data.keys, includeContext, this.data.bidirectional);
      this.shownCache.set(key, m);
    }
    return m;
  }

  /** Marks the head the other views show. */
  setCurrent(layer: number, head: number | null): void {
    for (const t of this.thumbs) t.cell.classList.toggle('current', t.layer === layer && t.head === head);
  }

  /** A PNG of the whole grid, drawn from the thumbnails (for export). */
  toDataURL(background: string, foreground: string): string | undefined {
    const data = this.data;
    if (!data || !this.thumbs.length) return undefined;
    const { layers, heads } = data.view.model;
    const size = 96;
    const gap = 8;
    const left = 36;
    const top = 24;
    const canvas = document.createElement('canvas');
    canvas.width = left + heads * (size + gap);
    canvas.height = top + layers * (size + gap);
    const ctx = canvas.getContext('2d');
    if (!ctx) return undefined;
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = foreground;
    ctx.font = '12px sans-serif';
    ctx.textBaseline = 'middle';
    for (let h = 0; h < heads; h++) ctx.fillText(`H${h}`, left + h * (size + gap) + size / 2 - 8, top / 2);
    for (let L = 0; L < layers; L++) ctx.fillText(`L${L}`, 4, top + L * (size + gap) + size / 2);
    for (const t of this.thumbs) {
      t.heatmap.render();
      const c = t.heatmap.canvas;
      const scale = Math.min(size / c.width, size / c.height);
      // Enlarged cells stay crisp; shrunk ones are averaged rather than dropped.
      ctx.imageSmoothingEnabled = scale < 1;
      ctx.drawImage(c, left + t.head * (size + gap), top + t.layer * (size + gap), c.width * scale, c.height * scale);
    }
    return canvas.toDataURL('image/png');
  }

  private tipLines(layer: number, head: number): TooltipLine[] {
    const ablation = !this.data?.view.ablatable[layer]
      ? `Cannot be switched off: the model exposes no blocks.${layer}.attn.hook_z`
      : isAblated(this.ablated, layer, head)
        ? 'Switched off: alt-click (or A) to switch it back on'
        : 'Alt-click (or A) to switch it off';
    return [`Layer ${layer}, head ${head}`, ...scoreLines(this.data?.layers[layer]?.scores?.[head]), 'Click to open in the head view', ablation];
  }

  private showTip(layer: number, head: number, x: number, y: number): void {
    this.tooltip.show(this.tipLines(layer, head), x, y);
  }

  private keyDown(e: KeyboardEvent): void {
    const data = this.data;
    if (!data || !this.thumbs.length) return;
    const { layers, heads } = data.view.model;
    let { layer, head } = this.focused;
    switch (e.key) {
      case 'ArrowRight':
        head = Math.min(heads - 1, head + 1);
        break;
      case 'ArrowLeft':
        head = Math.max(0, head - 1);
        break;
      case 'ArrowDown':
        layer = this.nextLayer(layer, 1, layers);
        break;
      case 'ArrowUp':
        layer = this.nextLayer(layer, -1, layers);
        break;
      case 'Home':
        head = 0;
        break;
      case 'End':
        head = heads - 1;
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.events.onOpen(layer, head);
        return;
      case 'a':
      case 'A':
        e.preventDefault();
        if (data.view.ablatable[layer]) this.events.onToggleAblation(layer, head);
        return;
      default:
        return;
    }
    e.preventDefault();
    const target = this.thumbs.find((t) => t.layer === layer && t.head === head);
    if (!target) return;
    this.thumbs.forEach((t) => (t.cell.tabIndex = t === target ? 0 : -1));
    this.focused = { layer, head };
    target.cell.focus();
    target.cell.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  /** The next layer in `dir` that has thumbnails (unavailable layers are skipped). */
  private nextLayer(layer: number, dir: 1 | -1, layers: number): number {
    for (let L = layer + dir; L >= 0 && L < layers; L += dir) if (this.data?.hasAttention(L)) return L;
    return layer;
  }
}
