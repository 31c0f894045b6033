// The top of the panel, kept in view while scrolling: which text the sections describe, the Pin
// toggle (a pinned panel stops following the editor's selection, and says so), and the
// "analysing…" line shown while the previous content stays dimmed below it.
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { SideAnalysisView } from '../../src/shared/protocol';
import { clear, el } from '../shared/dom';
import { plural, t } from '../shared/l10n';
import { formatPercent } from '../shared/format';
import { iconButton } from './iconButton';

/** A classifier's verdict on the text: every class with its probability, as text and a bar. */
function classList(classes: readonly { label: string; prob: number }[]): HTMLElement {
  const best = Math.max(...classes.map((c) => c.prob));
  return el(
    'table',
    { class: 'ml-class-table', attrs: { 'aria-label': t('Class probabilities of the text') } },
    ...classes.map((c) => {
      const bar = el('div', { class: 'ml-class-bar' });
      // The CSP forbids style attributes; a style set from script is allowed.
      bar.style.width = `${Math.round(c.prob * 100)}%`;
      return el(
        'tr',
        { class: c.prob === best ? 'ml-class-best' : undefined },
        el('td', { class: 'ml-class-label', text: c.label }),
        el('td', { class: 'ml-class-prob', text: formatPercent(c.prob) }),
        el('td', { class: 'ml-class-bar-cell', attrs: { 'aria-hidden': 'true' } }, bar),
      );
    }),
  );
}

export class Header {
  readonly element: HTMLElement;
  private readonly subject: HTMLDivElement;
  private readonly pin: HTMLButtonElement;
  private readonly pinnedNote: HTMLDivElement;
  private readonly notes: HTMLUListElement;
  private readonly classes: HTMLDivElement;
  private readonly status: HTMLDivElement;
  private pinned = false;

  constructor(onPin: (pinned: boolean) => void) {
    this.subject = el('div', { class: 'ml-subject' });
    this.pin = iconButton(
      'pin',
      t('Pin: keep showing this text'),
      () => {
        this.setPinned(!this.pinned);
        onPin(this.pinned);
      },
      { 'aria-pressed': 'false' },
    );
    this.pin.classList.add('ml-pin');
    this.pinnedNote = el(
      'div',
      { class: 'ml-pinned-note', attrs: { role: 'status' } },
      el('span', { class: 'codicon codicon-pinned', attrs: { 'aria-hidden': 'true' } }),
      el('span', { text: t('Pinned: the panel no longer follows the selection.') }),
    );
    this.pinnedNote.hidden = true;
    this.notes = el('ul', { class: 'ml-notes' });
    this.classes = el('div', { class: 'ml-classes' });
    this.status = el('div', { class: 'ml-busy', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.status.hidden = true;
    this.element = el(
      'header',
      { class: 'ml-header' },
      el('div', { class: 'ml-header-row' }, this.subject, this.pin),
      this.pinnedNote,
      this.classes,
      this.notes,
      this.status,
    );
    this.setSubject(undefined);
  }

  setSubject(view: SideAnalysisView | undefined): void {
    clear(this.subject);
    clear(this.notes);
    clear(this.classes);
    if (!view) {
      this.subject.append(
        el('span', { class: 'codicon codicon-selection', attrs: { 'aria-hidden': 'true' } }),
        el('span', { class: 'ml-muted', text: t('No text analysed yet') }),
      );
      return;
    }
    const n = view.tokens.length;
    this.subject.append(
      el('span', { class: 'codicon codicon-file', attrs: { 'aria-hidden': 'true' } }),
      el('span', { class: 'ml-doc', text: view.document.name, title: view.document.uri }),
      el('span', { class: 'ml-count', text: plural(n, '{0} token', '{0} tokens') }),
    );
    if (view.classes) this.classes.append(classList(view.classes));
    for (const note of view.notes)
      this.notes.append(el('li', {}, el('span', { class: 'codicon codicon-info', attrs: { 'aria-hidden': 'true' } }), el('span', { text: note })));
  }

  setPinned(pinned: boolean): void {
    this.pinned = pinned;
    this.pin.setAttribute('aria-pressed', String(pinned));
    this.pin.classList.toggle('on', pinned);
    const label = pinned ? t('Unpin: follow the selection again') : t('Pin: keep showing this text');
    this.pin.title = label;
    this.pin.setAttribute('aria-label', label);
    this.pin.firstElementChild!.className = `codicon codicon-${pinned ? 'pinned' : 'pin'}`;
    this.pinnedNote.hidden = !pinned;
    this.element.classList.toggle('pinned', pinned);
  }

  /** Text while the host analyses a new selection; undefined when it is done. */
  setBusy(text: string | undefined): void {
    clear(this.status);
    this.status.hidden = text === undefined;
    if (text !== undefined) this.status.append(el('vscode-progress-ring', { attrs: { 'aria-hidden': 'true' } }), el('span', { text }));
  }
}
