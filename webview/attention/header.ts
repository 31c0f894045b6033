// The line above everything: which model, which document, what was explained, and, per layer,
// where the attention came from when it is not the model's own softmax output.
import { clear, el } from '../shared/dom';
import { plural, t } from '../shared/l10n';
import { sourceLines } from './format';
import type { ViewData } from './viewData';

export class Header {
  readonly element: HTMLElement;

  constructor() {
    this.element = el('header', { class: 'ml-header' });
  }

  setData(data: ViewData): void {
    clear(this.element);
    const v = data.view;
    const m = v.model;
    this.element.appendChild(
      el(
        'div',
        { class: 'ml-header-main' },
        el('span', { class: 'codicon codicon-eye', attrs: { 'aria-hidden': 'true' } }),
        el('span', { class: 'ml-model', text: m.name, title: t('{0} layers × {1} heads, d_head = {2}', m.layers, m.heads, m.dHead) }),
        el('span', { class: 'ml-dim', text: t('{0} layers × {1} heads', m.layers, m.heads) }),
        el('span', { class: 'ml-sep', text: '·', attrs: { 'aria-hidden': 'true' } }),
        el('span', { class: 'codicon codicon-file', attrs: { 'aria-hidden': 'true' } }),
        el('span', { class: 'ml-doc', text: v.document.name, title: v.document.uri }),
        el('span', { class: 'ml-sep', text: '·', attrs: { 'aria-hidden': 'true' } }),
        el('span', {
          class: 'ml-dim',
          text: `${plural(v.queryCount, '{0} explained token', '{0} explained tokens')}${v.queryStart ? t(', {0} before them as context', v.queryStart) : ''}`,
        }),
      ),
    );
    const notes = [...v.notes.map((text) => ({ kind: 'note' as const, text })), ...sourceLines(data.layers.map((l) => l.source))];
    if (notes.length) {
      const list = el('ul', { class: 'ml-notes' });
      for (const n of notes) {
        const icon = n.kind === 'unavailable' ? 'warning' : n.kind === 'recomputed' ? 'sync' : 'info';
        list.appendChild(
          el(
            'li',
            { class: `ml-note ${n.kind}` },
            el('span', { class: `codicon codicon-${icon}`, attrs: { 'aria-hidden': 'true' } }),
            el('span', { text: n.text }),
          ),
        );
      }
      this.element.appendChild(list);
    }
  }
}
