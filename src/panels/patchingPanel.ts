// The activation-patching panel: one per comparison, beside the editor. Shows the sweep the
// command computed and answers the webview's exports.
import * as vscode from 'vscode';
import { parseFromPatchingPanel, type FromPatchingPanel, type PatchingView, type ToPatchingPanel } from '../protocol';
import { setUpWebview } from '../webviewSetup';
import { fileNamePart, pngBytes, saveExport } from './exportFile';
import { patchingCsv, patchingJson } from './patchingView';

export const PATCHING_VIEW_TYPE = 'modelLens.patching';

export class PatchingPanel {
  private readonly panel: vscode.WebviewPanel;
  private view: PatchingView | undefined;
  /** The latest message, kept until the webview says it listens, and sent again when it reloads. */
  private last: ToPatchingPanel | undefined;
  private ready = false;
  private disposed = false;

  constructor(extensionUri: vscode.Uri, column: vscode.ViewColumn, onDispose: () => void) {
    this.panel = vscode.window.createWebviewPanel(PATCHING_VIEW_TYPE, 'Activation patching', { viewColumn: column, preserveFocus: true }, {});
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    setUpWebview(this.panel.webview, extensionUri, 'patching', 'Model Lens activation patching');
    this.panel.webview.onDidReceiveMessage((raw) => {
      const message = parseFromPatchingPanel(raw);
      if (message) void this.handle(message);
    });
    this.panel.onDidDispose(() => {
      this.disposed = true;
      onDispose();
    });
  }

  /** Fires when the user closes the panel (the sweep for it is then not needed). */
  get onDidDispose(): vscode.Event<void> {
    return this.panel.onDidDispose;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  loading(text: string): void {
    this.post({ type: 'loading', text });
  }

  error(message: string): void {
    this.post({ type: 'error', message });
  }

  show(view: PatchingView, name: string): void {
    this.view = view;
    this.panel.title = `Patching: ${name}`;
    this.post({ type: 'show', view });
  }

  dispose(): void {
    this.panel.dispose();
  }

  private post(message: ToPatchingPanel): void {
    this.last = message;
    if (this.ready && !this.disposed) void this.panel.webview.postMessage(message);
  }

  private async handle(message: FromPatchingPanel): Promise<void> {
    if (message.type === 'ready') {
      // The webview reloads when the panel is hidden and shown again: send what it showed.
      this.ready = true;
      if (this.last) void this.panel.webview.postMessage(this.last);
      return;
    }
    const view = this.view;
    if (!view || view.id !== message.id) return;
    const content = message.format === 'png' ? pngBytes(message.png!) : new TextEncoder().encode(message.format === 'json' ? patchingJson(view) : patchingCsv(view));
    await saveExport(`patching-${fileNamePart(view.model)}-${view.id}`, message.format, content, 'Export activation patching');
  }
}
