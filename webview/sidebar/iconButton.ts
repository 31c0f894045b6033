// A codicon action button like those in VS Code's view headers: a real <button> (so focus,
// Enter and Space work without help) with its label for screen readers and as a tooltip.
import { el } from '../shared/dom';

export function iconButton(
  icon: string,
  label: string,
  onClick: (button: HTMLButtonElement) => void,
  attrs: Record<string, string | boolean> = {},
): HTMLButtonElement {
  const button = el(
    'button',
    { class: 'ml-icon-button', title: label, attrs: { type: 'button', 'aria-label': label, ...attrs } },
    el('span', { class: `codicon codicon-${icon}`, attrs: { 'aria-hidden': 'true' } }),
  );
  button.addEventListener('click', () => onClick(button));
  return button;
}
