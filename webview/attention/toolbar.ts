// The controls above the views: layer and head pickers (with "mean of heads" and "rollout"),
// the colour scale settings that apply everywhere, and export.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { ExportFormat, HeadChoice } from '../../src/shared/protocol';
import type { ScaleKind } from '../shared/colorScale';
import { clear, el } from '../shared/dom';
import { t } from '../shared/l10n';
import type { PanelState } from './state';
import type { ViewData } from './viewData';

export interface ToolbarEvents {
  onChange(patch: Partial<PanelState>): void;
  onExport(format: ExportFormat): void;
}

function headValue(head: HeadChoice): string {
  return String(head);
}

function parseHead(value: string): HeadChoice | undefined {
  if (value === 'mean' || value === 'rollout') return value;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

function field(label: string, control: HTMLElement): HTMLElement {
  return el('div', { class: 'ml-field' }, el('span', { class: 'ml-field-label', text: label, attrs: { 'aria-hidden': 'true' } }), control);
}

export class Toolbar {
  readonly element: HTMLDivElement;
  private readonly layer: VscodeSingleSelect;
  private readonly head: VscodeSingleSelect;
  private readonly scale: VscodeSingleSelect;
  private readonly ignoreFirst: VscodeCheckbox;
  private readonly includeContext: VscodeCheckbox;
  private readonly exportGroup: HTMLDivElement;

  constructor(private readonly events: ToolbarEvents) {
    this.layer = el('vscode-single-select', { class: 'ml-select-layer', attrs: { 'aria-label': t('Layer') } });
    this.head = el('vscode-single-select', { class: 'ml-select-head', attrs: { 'aria-label': t('Head') } });
    this.scale = el(
      'vscode-single-select',
      { class: 'ml-select-scale', attrs: { 'aria-label': t('Colour scale') } },
      option('linear', t('Linear')),
      option('log', t('Log')),
    );
    this.ignoreFirst = el('vscode-checkbox', {
      attrs: { label: t('Ignore first token') },
      title: t(
        'Leave token 0 (usually the beginning-of-text token, where many heads park their attention) out of the colour range; it is drawn clamped at the top colour.',
      ),
    });
    this.includeContext = el('vscode-checkbox', {
      attrs: { label: t('Include context') },
      title: t('Also show, as keys, the tokens before the explained ones.'),
    });
    this.layer.addEventListener('change', () => {
      const n = Number(this.layer.value);
      if (Number.isInteger(n)) this.events.onChange({ layer: n });
    });
    this.head.addEventListener('change', () => {
      const h = parseHead(this.head.value);
      if (h !== undefined) this.events.onChange({ head: h });
    });
    this.scale.addEventListener('change', () => this.events.onChange({ scale: this.scale.value as ScaleKind }));
    this.ignoreFirst.addEventListener('change', () => this.events.onChange({ ignoreFirst: this.ignoreFirst.checked }));
    this.includeContext.addEventListener('change', () => this.events.onChange({ includeContext: this.includeContext.checked }));

    const button = (format: ExportFormat, icon: string, text: string, title: string) => {
      const b = el('vscode-button', { text, title, attrs: { icon, secondary: true } });
      b.addEventListener('click', () => this.events.onExport(format));
      return b;
    };
    this.exportGroup = el(
      'div',
      { class: 'ml-export', attrs: { role: 'group', 'aria-label': t('Export') } },
      button('png', 'file-media', 'PNG', t('Save the heatmap on screen as a PNG image')),
      button('json', 'json', 'JSON', t('Save the attention weights of this choice as JSON')),
      button('csv', 'table', 'CSV', t('Save the attention weights of this choice as CSV')),
    );
    this.element = el(
      'div',
      { class: 'ml-toolbar', attrs: { role: 'toolbar', 'aria-label': t('Attention view settings') } },
      el('div', { class: 'ml-toolbar-group' }, field(t('Layer'), this.layer), field(t('Head'), this.head)),
      el('div', { class: 'ml-toolbar-group' }, field(t('Scale'), this.scale), this.ignoreFirst, this.includeContext),
      this.exportGroup,
    );
  }

  /** Rebuilds the pickers for a new analysis. */
  setData(data: ViewData, state: PanelState): void {
    const { layers, heads } = data.view.model;
    clear(this.layer);
    for (let L = 0; L < layers; L++)
      this.layer.appendChild(option(String(L), data.hasAttention(L) ? t('Layer {0}', L) : t('Layer {0} (unavailable)', L), L === state.layer));
    clear(this.head);
    for (let h = 0; h < heads; h++) this.head.appendChild(option(String(h), t('Head {0}', h), state.head === h));
    this.head.appendChild(option('mean', t('Mean of heads'), state.head === 'mean'));
    if (data.rollout) this.head.appendChild(option('rollout', t('Rollout'), state.head === 'rollout'));
    this.includeContext.disabled = data.queryStart === 0;
    this.includeContext.title =
      data.queryStart === 0
        ? t('Every analysed token is explained: there is no context before them.')
        : t('Also show, as keys, the {0} tokens before the explained ones.', data.queryStart);
    this.sync(state);
  }

  /** Shows the state (without firing change events back). */
  sync(state: PanelState): void {
    if (this.layer.value !== String(state.layer)) this.layer.value = String(state.layer);
    if (this.head.value !== headValue(state.head)) this.head.value = headValue(state.head);
    if (this.scale.value !== state.scale) this.scale.value = state.scale;
    this.ignoreFirst.checked = state.ignoreFirst;
    this.includeContext.checked = state.includeContext;
  }
}

function option(value: string, label: string, selected = false): HTMLElement {
  return el('vscode-option', { text: label, attrs: { value, selected } });
}
