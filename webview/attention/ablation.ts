// The bar above the token strip for switching heads off: how (zero or mean ablation), which heads
// are off with a one-click Reset, whether the host is running the text again, and the legend of
// the change in log-probability the chips then show.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { Prediction } from '../../src/shared/modelInfo';
import type { AblationMode, HeadRef } from '../../src/shared/protocol';
import { lutFor, type ThemeKind } from '../shared/colorScale';
import { el } from '../shared/dom';
import { t } from '../shared/l10n';
import { Legend } from '../shared/legend';
import { changeScale, formatBits, probabilityName } from './format';

export interface AblationEvents {
  onMode(mode: AblationMode): void;
  onReset(): void;
}

/** What the bar shows: `running` while the host runs the text, `error` with its message. */
export type AblationStatus = { kind: 'idle' } | { kind: 'running' } | { kind: 'ready'; delta: Float32Array } | { kind: 'error'; message: string };

export class AblationBar {
  readonly element: HTMLDivElement;
  private readonly mode: VscodeSingleSelect;
  private readonly text: HTMLSpanElement;
  private readonly reset: HTMLElement;
  private readonly legend = new Legend({ format: (v) => formatBits(v).replace(' bits', '') });

  constructor(events: AblationEvents) {
    this.mode = el(
      'vscode-single-select',
      {
        class: 'ml-select-ablation',
        attrs: { 'aria-label': 'How switched-off heads are replaced' },
        title: 'Zero: a switched-off head outputs nothing. Mean: it outputs its average over this text’s tokens, which keeps the scale of what it writes.',
      },
      el('vscode-option', { text: t('Zero ablation'), attrs: { value: 'zero' } }),
      el('vscode-option', { text: t('Mean ablation'), attrs: { value: 'mean' } }),
    );
    this.mode.addEventListener('change', () => events.onMode(this.mode.value === 'mean' ? 'mean' : 'zero'));
    this.text = el('span', { class: 'ml-ablation-text', attrs: { 'aria-live': 'polite' } });
    this.reset = el('vscode-button', {
      class: 'ml-ablation-reset',
      text: t('Reset'),
      title: t('Switch every head back on'),
      attrs: { icon: 'discard', secondary: true },
    });
    this.reset.addEventListener('click', () => events.onReset());
    this.element = el(
      'div',
      { class: 'ml-ablation', attrs: { role: 'group', 'aria-label': 'Switch heads off' } },
      this.mode,
      this.text,
      this.reset,
      this.legend.element,
    );
  }

  /** `offered`: whether any head of this model can be switched off. */
  update(offered: boolean, heads: readonly HeadRef[], mode: AblationMode, status: AblationStatus, theme: ThemeKind, predicts: Prediction): void {
    this.mode.value = mode;
    this.mode.hidden = !offered;
    this.reset.hidden = heads.length === 0;
    this.element.classList.toggle('active', heads.length > 0);
    const showLegend = heads.length > 0 && status.kind === 'ready';
    this.legend.element.hidden = !showLegend;
    if (showLegend)
      this.legend.update(
        lutFor(theme, 'diverging'),
        changeScale(status.delta),
        `Change in log₂ ${probabilityName(predicts)} with the heads off: blue less likely, red more likely (the chips’ top edge; the largest changes are drawn at the ends).`,
      );
    if (!offered) {
      this.text.textContent = t('This model cannot switch heads off: it exposes no head outputs (hook_z) to intervene at.');
      return;
    }
    if (!heads.length) {
      this.text.textContent = t('Switch heads off to see what they do: alt-click a head in the model view, or focus it and press A.');
      return;
    }
    const names = heads.map((h) => `L${h.layer} H${h.head}`).join(', ');
    const count = `${heads.length} head${heads.length === 1 ? '' : 's'} ablated (${mode}): ${names}`;
    this.text.textContent =
      status.kind === 'running' ? `${count}. Running the text again…` : status.kind === 'error' ? `${count}. ${status.message}` : `${count}.`;
  }
}
