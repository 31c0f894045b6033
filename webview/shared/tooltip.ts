// One floating tooltip per page for canvas hovers, where `title` cannot say which cell is under
// the pointer. Lines are plain text (textContent); a line may be a [label, value] pair.
import { clear, el } from './dom';

export type TooltipLine = string | readonly [label: string, value: string];

export class Tooltip {
  private readonly box: HTMLDivElement;
  /** What the box shows now, so a pointer moving within one item only moves the box. */
  private shown = '';

  constructor(parent: HTMLElement = document.body) {
    this.box = el('div', { class: 'ml-tooltip', attrs: { role: 'tooltip', 'aria-hidden': 'true' } });
    this.box.hidden = true;
    parent.appendChild(this.box);
  }

  /** Shows the lines near the viewport point (x, y), kept inside the window. */
  show(lines: readonly TooltipLine[], x: number, y: number): void {
    const key = JSON.stringify(lines);
    if (key !== this.shown || this.box.hidden) this.fill(lines, key);
    const margin = 12;
    const { width, height } = this.box.getBoundingClientRect();
    let left = x + margin;
    let top = y + margin;
    if (left + width > window.innerWidth - 4) left = Math.max(4, x - width - margin);
    if (top + height > window.innerHeight - 4) top = Math.max(4, y - height - margin);
    this.box.style.left = `${left}px`;
    this.box.style.top = `${top}px`;
  }

  private fill(lines: readonly TooltipLine[], key: string): void {
    this.shown = key;
    clear(this.box);
    lines.forEach((line, i) => {
      if (typeof line === 'string') {
        this.box.appendChild(el('div', { class: i === 0 ? 'ml-tooltip-title' : 'ml-tooltip-line', text: line }));
      } else {
        this.box.appendChild(
          el(
            'div',
            { class: 'ml-tooltip-row' },
            el('span', { class: 'ml-tooltip-label', text: line[0] }),
            el('span', { class: 'ml-tooltip-value', text: line[1] }),
          ),
        );
      }
    });
    this.box.hidden = false;
  }

  /** Shows the tooltip next to an element (for keyboard focus, where there is no pointer). */
  showAt(lines: readonly TooltipLine[], anchor: Element): void {
    const r = anchor.getBoundingClientRect();
    this.show(lines, r.right - 8, r.bottom - 8);
  }

  /**
   * For a heatmap's onHover: at the pointer for a pointer event, else (the keyboard moved the
   * cursor) at the bottom-right corner of `cellRect()`, the cell's viewport rectangle.
   */
  showFor(lines: readonly TooltipLine[], event: Event | null, cellRect: () => DOMRect | null): void {
    if (event instanceof PointerEvent) {
      this.show(lines, event.clientX, event.clientY);
      return;
    }
    const r = cellRect();
    if (r) this.show(lines, r.right, r.bottom);
  }

  hide(): void {
    this.box.hidden = true;
  }
}
