// Sets up a Model Lens webview: scripts on, resources only from the extension's own folders,
// and the HTML shell with a fresh nonce and the display language's strings.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { L10N_ATTRIBUTES } from '../shared/protocol';
import { webviewHtml, type WebviewApp } from './webviewHtml';

export function setUpWebview(webview: vscode.Webview, extensionUri: vscode.Uri, app: WebviewApp, label: string, data?: Record<string, string>): void {
  webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')] };
  webview.html = webviewHtml({
    app,
    label,
    cspSource: webview.cspSource,
    asset: (...parts) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', ...parts)).toString(),
    nonce: crypto.randomBytes(16).toString('base64'),
    data: { ...data, ...l10nData() },
  });
}

/**
 * The display language and its strings (vscode.l10n.bundle, undefined in English) for the page's
 * own headings: with the HTML, since the page builds them as it starts, before any message.
 */
function l10nData(): Record<string, string> {
  const bundle = vscode.l10n.bundle;
  return { [L10N_ATTRIBUTES.lang]: vscode.env.language, ...(bundle ? { [L10N_ATTRIBUTES.bundle]: JSON.stringify(bundle) } : {}) };
}
