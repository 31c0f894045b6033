// The HTML shell every Model Lens webview loads: a strict Content Security Policy (nonce scripts,
// the webview's own resource origin only, no inline styles, nothing remote), the app's bundle
// and stylesheet, and VS Code's codicon font. Pure, so the policy is tested without VS Code.

export type WebviewApp = 'attention' | 'sidebar';

export interface ShellOptions {
  app: WebviewApp;
  label: string;
  /** The webview's resource origin (webview.cspSource). */
  cspSource: string;
  /** URI of a file under dist/, as the webview must load it (webview.asWebviewUri). */
  asset: (...parts: string[]) => string;
  nonce: string;
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function webviewHtml(o: ShellOptions): string {
  const label = escapeAttribute(o.label);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(o.cspSource, o.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${o.asset('webview', `${o.app}.css`)}">
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${o.asset('codicons', 'codicon.css')}">
<title>${label}</title>
</head>
<body>
<div id="root" role="application" aria-label="${label}"></div>
<script nonce="${o.nonce}" src="${o.asset('webview', `${o.app}.js`)}"></script>
</body>
</html>`;
}
