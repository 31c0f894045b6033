// The parts of logit(target) − logit(foil) as horizontal bars, largest first: zero in the middle,
// toward the target to the right and toward the foil to the left, in the diverging ramp's end
// colours (the same the editor's colouring uses). A head's row is a button that opens it in
// Explain Attention.
import type { WhyPart } from '../../src/shared/protocol';
import { rampColor, rgbCss, type ThemeKind } from '../shared/colorScale';
import { clear, el } from '../shared/dom';
import { formatCell } from '../shared/format';
import { barGeometry, largestMagnitude } from './bars';

/** Decimals of every logit difference the panel shows. */
export const DECIMALS = 3;

export function signed(x: number): string {
  const s = formatCell(x, DECIMALS);
  return x > 0 && Number(s) !== 0 ? `+${s}` : s;
}

export class PartsChart {
  readonly element: HTMLDivElement;
  private bars: { bar: HTMLElement; value: number }[] = [];

  constructor(private readonly onOpenHead: (layer: number, head: number) => void) {
    this.element = el('div', { class: 'ml-why-chart', attrs: { role: 'list', 'aria-label': 'Parts of the difference, largest first' } });
  }

  setParts(parts: readonly WhyPart[], theme: ThemeKind, target: string, foil: string): void {
    clear(this.element);
    this.bars = [];
    const largest = largestMagnitude(parts.map((p) => p.value));
    for (const p of parts) {
      const toward = p.value >= 0 ? target : foil;
      const description = `${p.label}: ${signed(p.value)}, toward ${toward}`;
      const label =
        p.kind === 'head'
          ? el('button', {
              class: 'ml-why-label ml-why-head',
              text: p.label,
              title: `Open layer ${p.layer}, head ${p.head} in Explain Attention`,
              attrs: { type: 'button', 'aria-label': `${description}. Open layer ${p.layer}, head ${p.head} in Explain Attention` },
              on: { click: () => this.onOpenHead(p.layer!, p.head!) },
            })
          : el('span', { class: 'ml-why-label', text: p.label, title: p.label });
      const bar = el('div', { class: `ml-why-bar ${p.value >= 0 ? 'toward-target' : 'toward-foil'}` });
      const { left, width } = barGeometry(p.value, largest);
      bar.style.left = `${left}%`;
      bar.style.width = `${width}%`;
      this.bars.push({ bar, value: p.value });
      const track = el('div', { class: 'ml-why-track', attrs: { 'aria-hidden': 'true' } }, el('div', { class: 'ml-why-zero' }), bar);
      this.element.appendChild(
        el(
          'div',
          { class: 'ml-why-row', attrs: { role: 'listitem', 'aria-label': description } },
          label,
          track,
          el('span', { class: 'ml-why-value', text: signed(p.value), attrs: { 'aria-hidden': 'true' } }),
        ),
      );
    }
    this.setTheme(theme);
  }

  setTheme(theme: ThemeKind): void {
    const [toFoil, toTarget] = [rgbCss(rampColor(0, theme, 'diverging')), rgbCss(rampColor(1, theme, 'diverging'))];
    for (const { bar, value } of this.bars) bar.style.background = value >= 0 ? toTarget : toFoil;
  }
}
