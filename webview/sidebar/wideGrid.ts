// A heatmap wider than the side bar, as the activations and lens sections show one: it scrolls
// sideways inside its section (the caller keeps the position in the view state), and as one
// canvas holds only so many tokens, a note says when the grid shows only the first of them.
import { el } from '../shared/dom';
import type { Heatmap } from '../shared/heatmap';

export class WideGrid {
  readonly scroller: HTMLDivElement;
  /** The note; put it below the scroller. */
  readonly cut: HTMLParagraphElement;

  constructor(heatmap: Heatmap, onScroll: (x: number) => void) {
    this.scroller = el('div', { class: 'ml-scroll-x' }, heatmap.element);
    this.scroller.addEventListener('scroll', () => onScroll(this.scroller.scrollLeft), { passive: true });
    this.cut = el('p', { class: 'ml-hint ml-cut' });
  }

  /** The grid has the first `shown` of `total` tokens: a note unless that is all of them. */
  setShown(shown: number, total: number): void {
    this.cut.hidden = shown === total;
    this.cut.textContent = `Showing the first ${shown} of ${total} tokens; the export has them all.`;
  }

  /** Scrolls back to `x` once the grid has been drawn at its new size. */
  restoreScroll(x: number): void {
    requestAnimationFrame(() => (this.scroller.scrollLeft = x));
  }
}
