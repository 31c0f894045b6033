// One collapsible section of the panel, in the style of VS Code's own view sections, with an
// Export action in its header. Whether it is open is the caller's state (kept across reloads).
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import type { VscodeCollapsible } from '@vscode-elements/elements/dist/vscode-collapsible/vscode-collapsible.js';
import type { SideSection } from '../../src/shared/protocol';
import { el } from '../shared/dom';
import { t } from '../shared/l10n';
import { iconButton } from './iconButton';

export interface SectionEvents {
  onToggle(section: SideSection, open: boolean): void;
  onExport(section: SideSection, anchor: HTMLButtonElement): void;
}

export class Section {
  readonly element: VscodeCollapsible;
  readonly body: HTMLDivElement;
  private readonly exportButton: HTMLButtonElement;

  constructor(
    readonly id: SideSection,
    heading: string,
    open: boolean,
    events: SectionEvents,
  ) {
    this.exportButton = iconButton('export', t('Export {0} as CSV or JSON…', heading.toLowerCase()), (b) => events.onExport(id, b), {
      'aria-haspopup': 'menu',
    });
    // The header toggles on Enter wherever it comes from, including a focused action.
    const actions = el('div', { class: 'ml-section-actions', attrs: { slot: 'actions' }, on: { keydown: (e) => e.stopPropagation() } }, this.exportButton);
    this.body = el('div', { class: `ml-section-body ml-${id}` });
    this.element = el(
      'vscode-collapsible',
      { class: 'ml-section', attrs: { heading, 'always-show-header-actions': true, 'data-section': id } },
      actions,
      this.body,
    );
    this.element.open = open;
    this.element.addEventListener('vsc-collapsible-toggle', (e) => events.onToggle(id, e.detail.open));
  }

  setDescription(text: string): void {
    this.element.description = text;
  }

  /** No data, nothing to export: the action is hidden rather than answered with a warning. */
  setExportable(exportable: boolean): void {
    this.exportButton.hidden = !exportable;
  }
}
