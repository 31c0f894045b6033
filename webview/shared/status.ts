// The status line every panel shows above its content: a spinner while the host works, or why it
// could not (announced to screen readers). The content stays, dimmed, while a new one loads.
import { clear, el } from './dom';

export function showLoading(status: HTMLElement, content: HTMLElement, text: string, hasContent: boolean): void {
  clear(status);
  status.hidden = false;
  status.className = 'ml-status loading';
  status.removeAttribute('role');
  status.append(el('vscode-progress-ring', { attrs: { 'aria-label': 'Loading' } }), el('span', { class: 'ml-status-text', text }));
  content.classList.toggle('busy', hasContent);
}

export function showError(status: HTMLElement, content: HTMLElement, title: string, message: string): void {
  clear(status);
  status.hidden = false;
  status.className = 'ml-status error';
  status.setAttribute('role', 'alert');
  status.append(
    el('span', { class: 'codicon codicon-error', attrs: { 'aria-hidden': 'true' } }),
    el('div', {}, el('div', { class: 'ml-status-title', text: title }), el('div', { class: 'ml-status-text', text: message })),
  );
  content.classList.remove('busy');
}
