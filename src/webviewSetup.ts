// Sets up a Model Lens webview: scripts on, resources only from the extension's own folders,
// and the HTML shell with a fresh nonce.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { webviewHtml, type WebviewApp } from './webviewHtml';

export function setUpWebview(webview: vscode.Webview, extensionUri: vscode.Uri, app: WebviewApp, label: string, data?: Record<string, string>): void {
  webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')] };
  webview.html = webviewHtml({
    app,
    label,
    cspSource: webview.cspSource,
    asset: (...parts) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', ...parts)).toString(),
    nonce: crypto.randomBytes(16).toString('base64'),
    data,
  });
}
