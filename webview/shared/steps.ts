// Worked steps, as the math tab and the step-by-step panel show them: a numbered section with a
// plain-language explanation, notices, and the line that says whether a recomputation matched
// the model's own numbers (styles in steps.css).
import './steps.css';
import { el } from './dom';

export function notice(kind: 'info' | 'warning' | 'error', text: string): HTMLElement {
  const icon = kind === 'error' ? 'error' : kind === 'warning' ? 'warning' : 'info';
  return el(
    'div',
    { class: `ml-notice ${kind}`, attrs: { role: kind === 'error' ? 'alert' : 'note' } },
    el('span', { class: `codicon codicon-${icon}`, attrs: { 'aria-hidden': 'true' } }),
    el('span', { text }),
  );
}

/** ✓ when `error` is within `tolerance`, a warning when not, a question mark when it is unknown (NaN). */
export function checkLine(error: number, tolerance: number, text: string): HTMLElement {
  const ok = Number.isFinite(error) && error <= tolerance;
  const unknown = Number.isNaN(error);
  return el(
    'p',
    { class: `ml-check ${unknown ? 'unknown' : ok ? 'ok' : 'bad'}` },
    el('span', { class: `codicon codicon-${unknown ? 'question' : ok ? 'pass' : 'warning'}`, attrs: { 'aria-hidden': 'true' } }),
    el('span', { text }),
  );
}

export function step(n: string, name: string, explanation: string, extra: HTMLElement | null, ...body: HTMLElement[]): HTMLElement {
  return el(
    'section',
    { class: 'ml-step', attrs: { 'aria-label': `Step ${n}: ${name}` } },
    el('h3', {}, el('span', { class: 'ml-step-n', text: n }), el('span', { text: name })),
    el('p', { class: 'ml-step-text', text: explanation }),
    extra,
    ...body,
  );
}
