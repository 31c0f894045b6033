// The HTML shell every Model Lens webview loads: a strict Content Security Policy (nonce scripts,
// the webview's own resource origin only, no inline styles, nothing remote), the app's bundle
// and stylesheet, and VS Code's codicon font. Pure, so the policy is tested without VS Code.

export type WebviewApp = 'attention' | 'sidebar' | 'gpu' | 'why' | 'patching' | 'walk';

export interface ShellOptions {
  app: WebviewApp;
  label: string;
  /** The webview's resource origin (webview.cspSource). */
  cspSource: string;
  /** URI of a file under dist/, as the webview must load it (webview.asWebviewUri). */
  asset: (...parts: string[]) => string;
  nonce: string;
  /** data-* attributes of the root element (e.g. where the bundles are). */
  data?: Record<string, string>;
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * The policy of an app. Only the WebGPU backend's page runs WebAssembly: it alone may compile
 * it and fetch the .wasm file from the extension's own folder.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string, app: WebviewApp): string {
  const gpu = app === 'gpu';
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'${gpu ? " 'wasm-unsafe-eval'" : ''}`,
    ...(gpu ? [`connect-src ${cspSource}`] : []),
  ].join('; ');
}

export function webviewHtml(o: ShellOptions): string {
  const label = escapeAttribute(o.label);
  const data = Object.entries(o.data ?? {})
    .map(([k, v]) => ` data-${k}="${escapeAttribute(v)}"`)
    .join('');
  // The WebGPU page is an ES module: ONNX Runtime finds its parts from import.meta.
  const scriptType = o.app === 'gpu' ? ' type="module"' : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(o.cspSource, o.nonce, o.app)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${o.asset('webview', `${o.app}.css`)}">
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${o.asset('codicons', 'codicon.css')}">
<title>${label}</title>
</head>
<body>
<main id="root" aria-label="${label}"${data}></main>
<script nonce="${o.nonce}"${scriptType} src="${o.asset('webview', `${o.app}.js`)}"></script>
</body>
</html>`;
}
