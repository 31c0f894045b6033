// The colour legend: the ramp as a bar with the values at its ends (and middle), and a line
// saying what the range leaves out or what the colour means.
import { LUT_SIZE, tickLabels, type ScaleSpec } from './colorScale';
import { clear, el } from './dom';
import { formatCell } from './format';

export interface LegendOptions {
  /** How a tick value is written: attention weights, percentages, norms… Default: two decimals. */
  format?: (value: number) => string;
}

export class Legend {
  readonly element: HTMLDivElement;
  private readonly bar: HTMLCanvasElement;
  private readonly ticks: HTMLDivElement;
  private readonly caption: HTMLDivElement;
  private readonly format: (value: number) => string;

  constructor(options: LegendOptions = {}) {
    this.format = options.format ?? ((v) => formatCell(v, 2));
    this.bar = el('canvas', { class: 'ml-legend-bar', attrs: { 'aria-hidden': 'true' } });
    this.bar.width = LUT_SIZE;
    this.bar.height = 1;
    this.ticks = el('div', { class: 'ml-legend-ticks' });
    this.caption = el('div', { class: 'ml-legend-caption' });
    this.element = el(
      'div',
      { class: 'ml-legend', attrs: { role: 'group', 'aria-label': 'Colour scale' } },
      el('div', { class: 'ml-legend-scale' }, this.bar, this.ticks),
      this.caption,
    );
  }

  /** `spec` null: the ramp only, with relative ends (each heatmap has its own range; `relativeLog` for a log scale). */
  update(lut: Uint8ClampedArray, spec: ScaleSpec | null, caption: string, relativeLog = false): void {
    const ctx = this.bar.getContext('2d');
    if (ctx) {
      const img = ctx.createImageData(LUT_SIZE, 1);
      img.data.set(lut.subarray(0, LUT_SIZE * 4));
      ctx.putImageData(img, 0, 0);
    }
    clear(this.ticks);
    const labels = tickLabels(spec, this.format, relativeLog);
    for (const t of labels) this.ticks.appendChild(el('span', { text: t }));
    this.caption.textContent = caption;
    this.element.setAttribute('aria-label', `Colour scale ${labels.filter(Boolean).join(' to ')}.${caption ? ` ${caption}` : ''}`);
  }
}
