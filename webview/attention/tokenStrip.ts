// The explained tokens as a listbox of chips: visible boundaries and whitespace, the model's
// surprise as a coloured underline, the real text and P(token|before) in the title. Clicking a
// chip (or Enter/Space) picks it as the query; when one is picked the chips also show, as a
// background, how much that query attends to each of them. With heads switched off, each chip's
// top edge shows how much likelier (or less likely) the model found it.
import type { Prediction } from '../../src/shared/modelInfo';
import type { TokenView } from '../../src/shared/protocol';
import { normalizer, rampColor, rgbCss, textOn, type ScaleSpec, type ThemeKind } from '../shared/colorScale';
import { formatProb, quoted, tokenLabel } from '../shared/format';
import { clear, el } from '../shared/dom';
import { formatBits, formatWeight, NO_PROBABILITY, probabilityName, rankBucket } from './format';

/** Each token's probability with heads switched off, and its change in log2 probability, by token index. */
export interface ProbabilityChange {
  prob: Float32Array;
  delta: Float32Array;
  scale: ScaleSpec;
}

export interface TokenStripEvents {
  /** A chip was activated; `index` is into tokens. */
  onPick(index: number): void;
  /** Escape: drop the selection. */
  onClear(): void;
}

export class TokenStrip {
  readonly element: HTMLDivElement;
  private chips: HTMLElement[] = [];
  private tokens: readonly TokenView[] = [];
  private first = 0;
  private predicts: Prediction = 'next';
  private selected: number | null = null;
  private focusIndex = 0;

  constructor(private readonly events: TokenStripEvents) {
    this.element = el('div', {
      class: 'ml-strip',
      attrs: { role: 'listbox', 'aria-label': 'Explained tokens: pick one as the query', 'aria-orientation': 'horizontal' },
    });
    this.element.addEventListener('keydown', (e) => this.keyDown(e));
    this.element.addEventListener('click', (e) => {
      const chip = (e.target as HTMLElement).closest<HTMLElement>('.ml-chip');
      if (chip?.dataset.index) this.events.onPick(Number(chip.dataset.index));
    });
  }

  /** Shows tokens[first .. first + count); `predicts` says what their probabilities are. */
  setTokens(tokens: readonly TokenView[], first: number, count: number, predicts: Prediction): void {
    this.predicts = predicts;
    this.first = first;
    this.tokens = tokens;
    clear(this.element);
    this.chips = [];
    for (let i = first; i < first + count && i < tokens.length; i++) {
      const t = tokens[i];
      const chip = el('span', {
        class: `ml-chip rank-${rankBucket(t.rank)}${t.special ? ' special' : ''}${t.text.includes('\n') ? ' newline' : ''}`,
        text: tokenLabel(t.text),
        attrs: { role: 'option', 'aria-selected': 'false', tabindex: -1, 'data-index': i },
      });
      this.describe(chip, i, null);
      this.chips.push(chip);
      this.element.appendChild(chip);
    }
    this.focusIndex = Math.min(this.focusIndex, Math.max(0, this.chips.length - 1));
    this.syncTabStop();
  }

  setSelected(index: number | null): void {
    this.selected = index;
    this.chips.forEach((c, i) => {
      const on = this.first + i === index;
      c.setAttribute('aria-selected', String(on));
      c.classList.toggle('selected', on);
    });
    if (index !== null && index >= this.first && index < this.first + this.chips.length) this.focusIndex = index - this.first;
    this.syncTabStop();
  }

  /**
   * Tints each chip by the weight the selected query gives it (`weights` over tokens indices,
   * `normalize` from the shared scale); null removes the tint.
   */
  setWeights(weights: ((index: number) => number) | null, normalize: (w: number) => number, theme: ThemeKind): void {
    this.chips.forEach((c, i) => {
      const index = this.first + i;
      const w = weights ? weights(index) : NaN;
      const t = normalize(w);
      if (!weights || !Number.isFinite(t) || t <= 0.02) {
        c.style.removeProperty('background-color');
        c.style.removeProperty('color');
        c.removeAttribute('data-weight');
        return;
      }
      const rgb = rampColor(t, theme);
      c.style.backgroundColor = rgbCss(rgb);
      c.style.color = textOn(rgb);
      c.dataset.weight = formatWeight(w);
    });
  }

  /** Shows each chip's change with heads switched off (null: none are). */
  setChange(change: ProbabilityChange | null, theme: ThemeKind): void {
    const normalize = change ? normalizer(change.scale) : undefined;
    this.chips.forEach((c, i) => {
      const index = this.first + i;
      const d = change?.delta[index] ?? NaN;
      this.describe(c, index, change);
      if (!change || !Number.isFinite(d)) {
        c.classList.remove('changed');
        c.style.removeProperty('border-top-color');
        c.removeAttribute('data-change');
        return;
      }
      c.classList.add('changed');
      c.style.borderTopColor = rgbCss(rampColor(normalize!(d), theme, 'diverging'));
      c.dataset.change = d.toFixed(3);
    });
  }

  /** A chip's title and accessible name: the token, its probability and, with heads off, the change. */
  private describe(chip: HTMLElement, index: number, change: ProbabilityChange | null): void {
    const t = this.tokens[index];
    const label = tokenLabel(t.text);
    const d = change?.delta[index] ?? NaN;
    const ablated = change && Number.isFinite(d) ? `with the heads off: P = ${formatProb(change.prob[index])}, ${formatBits(d)}` : '';
    const details = [
      `#${index} ${quoted(t.text)}`,
      t.prob === null ? NO_PROBABILITY[this.predicts] : `${probabilityName(this.predicts)} = ${formatProb(t.prob)}`,
      t.rank ? `rank ${t.rank} among the model's guesses` : '',
      ablated,
    ];
    chip.title = details.filter(Boolean).join('\n');
    chip.setAttribute('aria-label', `${t.text.trim() ? t.text : label}, token ${index}, probability ${formatProb(t.prob)}${ablated ? `, ${ablated}` : ''}`);
  }

  private syncTabStop(): void {
    this.chips.forEach((c, i) => c.setAttribute('tabindex', i === this.focusIndex ? '0' : '-1'));
  }

  private keyDown(e: KeyboardEvent): void {
    const n = this.chips.length;
    if (!n) return;
    let next = this.focusIndex;
    switch (e.key) {
      case 'ArrowRight':
      case 'ArrowDown':
        next = Math.min(n - 1, next + 1);
        break;
      case 'ArrowLeft':
      case 'ArrowUp':
        next = Math.max(0, next - 1);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = n - 1;
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.events.onPick(this.first + this.focusIndex);
        return;
      case 'Escape':
        if (this.selected !== null) {
          e.preventDefault();
          e.stopPropagation();
          this.events.onClear();
        }
        return;
      default:
        return;
    }
    e.preventDefault();
    this.focusIndex = next;
    this.syncTabStop();
    this.chips[next].focus();
    this.chips[next].scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
}
