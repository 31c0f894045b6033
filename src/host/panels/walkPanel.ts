// The "Step by step" webview panel: one, beside the editor, reused by the next walk. Shows what
// the command sends and passes the panel's requests on: another token of the same text, a head to
// open in Explain Attention.
import * as vscode from 'vscode';
import { parseFromWalkPanel, type FromWalkPanel, type ToWalkPanel, type WalkView } from '../../shared/protocol';
import { setUpWebview } from '../webviewSetup';
import { WebviewChannel } from './webviewChannel';

export const WALK_VIEW_TYPE = 'modelLens.walk';

export interface WalkPanelEvents {
  /** Walk the token at `position` of the same analysis (already checked to be one of its tokens). */
  pick(view: WalkView, position: number): void;
  openHead(view: WalkView, layer: number, head: number): void;
}

export class WalkPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private channel: WebviewChannel<ToWalkPanel> | undefined;
  private view: WalkView | undefined;
  private nextId = 1;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly events: WalkPanelEvents,
  ) {}

  newId(): number {
    return this.nextId++;
  }

  /** Shows the panel in the column beside `editorColumn`, creating it if it is closed. */
  reveal(editorColumn: vscode.ViewColumn | undefined): void {
    const column = editorColumn === undefined ? vscode.ViewColumn.Beside : editorColumn + 1;
    if (this.panel) this.panel.reveal(this.panel.viewColumn ?? column, true);
    else this.adopt(vscode.window.createWebviewPanel(WALK_VIEW_TYPE, 'Step by step', { viewColumn: column, preserveFocus: true }, {}));
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    setUpWebview(panel.webview, this.extensionUri, 'walk', 'Model Lens: the whole model, step by step');
    // A page VS Code re-creates (hidden panel, reload) starts empty: it gets the walk again.
    const channel = new WebviewChannel<ToWalkPanel>(
      (m) => void panel.webview.postMessage(m),
      () => (this.view ? { type: 'show', view: this.view } : undefined),
    );
    panel.webview.onDidReceiveMessage((raw) => {
      const message = parseFromWalkPanel(raw);
      if (message) this.handle(message, channel);
    });
    panel.onDidDispose(() => {
      if (this.panel !== panel) return;
      this.panel = undefined;
      this.channel = undefined;
      this.view = undefined;
    });
    this.panel = panel;
    this.channel = channel;
  }

  /**
   * Takes over a panel VS Code restores after a reload; `restore` walks its token again. The state
   * is whatever the webview saved: `restore` parses it before acting on it.
   */
  serializer(restore: (state: unknown) => Promise<void>): vscode.WebviewPanelSerializer<unknown> {
    return {
      deserializeWebviewPanel: async (panel, state) => {
        this.adopt(panel);
        await restore(state);
      },
    };
  }

  loading(text: string): void {
    this.channel?.post({ type: 'loading', text });
  }

  error(message: string): void {
    this.channel?.post({ type: 'error', message });
  }

  show(view: WalkView): void {
    // Closed while the token was analysed: nothing to show it in.
    if (!this.panel) return;
    this.view = view;
    this.panel.title = `Step by step: ${JSON.stringify(view.tokens[view.position]?.text ?? '')}`;
    this.channel?.post({ type: 'show', view });
  }

  private handle(message: FromWalkPanel, channel: WebviewChannel<ToWalkPanel>): void {
    if (message.type === 'ready') {
      channel.ready();
      return;
    }
    const view = this.view;
    if (!view || view.id !== message.id) return;
    switch (message.type) {
      case 'pick':
        if (message.position < view.tokens.length && !view.tokens[message.position].special) this.events.pick(view, message.position);
        return;
      case 'openHead':
        if (message.layer < view.model.layers && message.head < view.model.heads) this.events.openHead(view, message.layer, message.head);
        return;
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
