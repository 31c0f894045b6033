// The one Export menu of the page, opened under a section's export button: CSV or JSON. The host
// makes the file from its own data and asks where to save it.
import '@vscode-elements/elements/dist/vscode-context-menu/index.js';
import type { VscodeContextMenu } from '@vscode-elements/elements/dist/vscode-context-menu/vscode-context-menu.js';
import type { SideSection } from '../../src/shared/protocol';
import { el } from '../shared/dom';
import { t } from '../shared/l10n';

export class ExportMenu {
  private readonly menu: VscodeContextMenu;
  private target: { section: SideSection; anchor: HTMLButtonElement } | undefined;

  constructor(onPick: (section: SideSection, format: 'csv' | 'json') => void) {
    this.menu = el('vscode-context-menu', { class: 'ml-export-menu', attrs: { 'aria-label': t('Export format') } });
    this.menu.data = [
      { label: t('Export as CSV…'), value: 'csv' },
      { label: t('Export as JSON…'), value: 'json' },
    ];
    this.menu.addEventListener('vsc-context-menu-select', (e) => {
      const target = this.target;
      const format = e.detail.value;
      this.close(true);
      if (target && (format === 'csv' || format === 'json')) onPick(target.section, format);
    });
    this.menu.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' || e.key === 'Tab') this.close(e.key === 'Escape');
    });
    // A click elsewhere closes the menu by itself; the rest of its state needs to follow.
    document.addEventListener('click', () => requestAnimationFrame(() => !this.menu.show && this.close(false)));
    // Hidden while closed: the element itself is a tab stop even when it draws nothing.
    this.menu.hidden = true;
    document.body.appendChild(this.menu);
  }

  open(section: SideSection, anchor: HTMLButtonElement): void {
    if (this.menu.show && this.target?.anchor === anchor) {
      this.close(true);
      return;
    }
    this.target?.anchor.setAttribute('aria-expanded', 'false');
    this.target = { section, anchor };
    anchor.setAttribute('aria-expanded', 'true');
    const r = anchor.getBoundingClientRect();
    // Right-aligned under the button, as VS Code places its own action menus.
    this.menu.style.top = `${r.bottom + 2}px`;
    this.menu.style.right = `${Math.max(4, document.documentElement.clientWidth - r.right)}px`;
    this.menu.hidden = false;
    this.menu.show = true;
  }

  private close(refocus: boolean): void {
    const anchor = this.target?.anchor;
    this.menu.show = false;
    this.menu.hidden = true;
    this.target = undefined;
    anchor?.setAttribute('aria-expanded', 'false');
    if (refocus) anchor?.focus();
  }
}
