// The HTML shell every Model Lens webview loads: a strict Content Security Policy (nonce scripts,
// the webview's own resource origin only, no inline styles, nothing remote), the app's bundle
// and stylesheet, and VS Code's codicon font.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';

export type WebviewApp = 'attention' | 'sidebar';

/** Webviews may only load files from the bundle output and media/. */
export function localResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, app: WebviewApp, label: string): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const asset = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', ...parts)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('webview', `${app}.css`)}">
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${asset('codicons', 'codicon.css')}">
<title>${label}</title>
</head>
<body>
<div id="root" role="application" aria-label="${label}"></div>
<script nonce="${nonce}" src="${asset('webview', `${app}.js`)}"></script>
</body>
</html>`;
}
