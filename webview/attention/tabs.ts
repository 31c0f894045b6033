// The three views as VS Code-styled tabs. vscode-tabs hides the inactive panels itself; this
// wrapper maps its indices to our tab names.
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import type { VscodeTabs } from '@vscode-elements/elements/dist/vscode-tabs/vscode-tabs.js';
import { el } from '../shared/dom';
import { t } from '../shared/l10n';
import { TABS, type Tab } from './state';

/** English, looked up in the display language when drawn (see ../shared/l10n). */
const TITLES: Record<Tab, string> = { model: 'Model view', head: 'Head view', math: 'The math' };
const ICONS: Record<Tab, string> = { model: 'layers', head: 'symbol-array', math: 'symbol-operator' };

export class Tabs {
  readonly element: VscodeTabs;

  constructor(panels: Record<Tab, HTMLElement>, onSelect: (tab: Tab) => void) {
    this.element = el('vscode-tabs', { class: 'ml-tabs' });
    for (const tab of TABS) {
      this.element.appendChild(
        el(
          'vscode-tab-header',
          { attrs: { slot: 'header', 'data-tab': tab } },
          el('span', { class: `codicon codicon-${ICONS[tab]}`, attrs: { 'aria-hidden': 'true' } }),
          el('span', { class: 'ml-tab-title', text: t(TITLES[tab]) }),
        ),
      );
      this.element.appendChild(el('vscode-tab-panel', { attrs: { 'data-tab': tab } }, panels[tab]));
    }
    this.element.addEventListener('vsc-tabs-select', (e) => {
      const tab = TABS[e.detail.selectedIndex];
      if (tab) onSelect(tab);
    });
  }

  select(tab: Tab): void {
    const i = TABS.indexOf(tab);
    if (this.element.selectedIndex !== i) this.element.selectedIndex = i;
  }
}
