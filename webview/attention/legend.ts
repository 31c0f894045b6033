// The colour legend: the ramp as a bar with the values at its ends (and middle), and a line
// saying what the range leaves out.
import { LUT_SIZE, scaleTicks, type ScaleSpec } from '../shared/colorScale';
import { clear, el } from '../shared/dom';
import { formatWeight } from './format';

export class Legend {
  readonly element: HTMLDivElement;
  private readonly bar: HTMLCanvasElement;
  private readonly ticks: HTMLDivElement;
  private readonly caption: HTMLDivElement;

  constructor() {
    this.bar = el('canvas', { class: 'ml-legend-bar', attrs: { 'aria-hidden': 'true' } });
    this.bar.width = LUT_SIZE;
    this.bar.height = 1;
    this.ticks = el('div', { class: 'ml-legend-ticks' });
    this.caption = el('div', { class: 'ml-legend-caption' });
    this.element = el('div', { class: 'ml-legend', attrs: { role: 'group', 'aria-label': 'Colour scale' } }, el('div', { class: 'ml-legend-scale' }, this.bar, this.ticks), this.caption);
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
    const labels = spec ? scaleTicks(spec, 3).map(formatWeight) : [relativeLog ? '10⁻⁴·max' : '0', '', 'max'];
    if (spec && spec.kind === 'log') labels[0] = `≤${labels[0]}`;
    for (const t of labels) this.ticks.appendChild(el('span', { text: t }));
    this.caption.textContent = caption;
    this.element.setAttribute('aria-label', `Colour scale ${labels.filter(Boolean).join(' to ')}. ${caption}`);
  }
}
