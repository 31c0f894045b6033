// VS Code tells a webview its theme through the body's class (vscode-light, vscode-dark,
// vscode-high-contrast, vscode-high-contrast-light) and --vscode-* CSS variables, and changes
// both while the panel is open. Canvases do not restyle themselves, so they listen here.
import type { ThemeKind } from './colorScale';

export function themeKind(body: HTMLElement = document.body): ThemeKind {
  const kind = body.dataset.vscodeThemeKind;
  const has = (c: string) => body.classList.contains(c) || kind === c;
  if (has('vscode-high-contrast-light')) return 'high-contrast-light';
  if (has('vscode-high-contrast')) return 'high-contrast';
  if (has('vscode-light')) return 'light';
  return 'dark';
}

/** A --vscode-* (or any custom property) value as the theme currently sets it. */
export function cssVar(name: string, fallback = '', element: Element = document.body): string {
  const v = getComputedStyle(element).getPropertyValue(name).trim();
  return v || fallback;
}

/**
 * Calls `onChange` whenever the theme (class or inline variables on body/html) changes; the
 * callback runs at most once per animation frame. Returns a function that stops listening.
 */
export function onThemeChange(onChange: (kind: ThemeKind) => void): () => void {
  let pending = false;
  let last = '';
  const fire = () => {
    pending = false;
    // VS Code rewrites the variables and the class together; compare both to skip no-op writes.
    const signature = `${document.body.className}|${document.documentElement.getAttribute('style') ?? ''}`;
    if (signature === last) return;
    last = signature;
    onChange(themeKind());
  };
  last = `${document.body.className}|${document.documentElement.getAttribute('style') ?? ''}`;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(fire);
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
  return () => observer.disconnect();
}
