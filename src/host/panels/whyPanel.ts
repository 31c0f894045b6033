// The "Why this token?" webview panel: one, beside the editor, reused by the next explanation.
// Shows what the command sends and passes the panel's requests on: another target or foil,
// a head to open in Explain Attention, the editor colouring on and off.
import * as vscode from 'vscode';
import type { SourceHighlights } from '../decorations/sourceHighlights';
import { parseFromWhyPanel, type FromWhyPanel, type ToWhyPanel, type WhyView } from '../../shared/protocol';
import { setUpWebview } from '../webviewSetup';
import { WebviewChannel } from './webviewChannel';

export const WHY_VIEW_TYPE = 'modelLens.why';

export interface WhyPanelEvents {
  /** Explain the same token again against these ids (already checked to be among the view's choices). */
  choose(view: WhyView, target: number, foil: number): void;
  openHead(view: WhyView, layer: number, head: number): void;
}

export class WhyPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private view: WhyView | undefined;
  /** The open panel's: on `ready` (its page was re-created, or the window reloaded) it gets the explanation again. */
  private channel: WebviewChannel<ToWhyPanel> | undefined;
  private nextId = 1;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly highlights: SourceHighlights,
    private readonly events: WhyPanelEvents,
  ) {}

  newId(): number {
    return this.nextId++;
  }

  /** Shows the panel in the column beside `editorColumn`, creating it if it is closed. */
  reveal(editorColumn: vscode.ViewColumn | undefined): void {
    const column = editorColumn === undefined ? vscode.ViewColumn.Beside : editorColumn + 1;
    if (this.panel) this.panel.reveal(this.panel.viewColumn ?? column, true);
    else this.adopt(vscode.window.createWebviewPanel(WHY_VIEW_TYPE, 'Why this token?', { viewColumn: column, preserveFocus: true }, {}));
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    setUpWebview(panel.webview, this.extensionUri, 'why', 'Model Lens: why this token');
    panel.webview.onDidReceiveMessage((raw) => {
      const message = parseFromWhyPanel(raw);
      if (message) this.handle(message);
    });
    panel.onDidDispose(() => {
      if (this.panel !== panel) return;
      this.highlights.clear();
      this.panel = undefined;
      this.view = undefined;
      this.channel = undefined;
    });
    this.panel = panel;
    this.channel = new WebviewChannel<ToWhyPanel>(
      (message) => void panel.webview.postMessage(message),
      () => this.view && { type: 'show', view: this.view },
    );
  }

  /**
   * Takes over a panel VS Code restores after a reload; `restore` explains its token again. The
   * state is whatever the webview saved: `restore` parses it before acting on it.
   */
  serializer(restore: (state: unknown) => Promise<void>): vscode.WebviewPanelSerializer<unknown> {
    return {
      deserializeWebviewPanel: async (panel, state) => {
        this.adopt(panel);
        await restore(state);
      },
    };
  }

  private post(message: ToWhyPanel): void {
    this.channel?.post(message);
  }

  loading(text: string): void {
    this.post({ type: 'loading', text });
  }

  error(message: string): void {
    this.post({ type: 'error', message });
  }

  show(view: WhyView): void {
    // Closed while the token was analysed: nothing shows the explanation, so nothing colours the editor.
    if (!this.panel) return;
    this.view = view;
    this.panel.title = `Why ${JSON.stringify(view.token.text)}?`;
    this.highlights.show(view);
    this.post({ type: 'show', view });
  }

  private handle(message: FromWhyPanel): void {
    if (message.type === 'ready') {
      this.channel?.ready();
      return;
    }
    if (message.type === 'clearSources') {
      this.highlights.clear();
      return;
    }
    const view = this.view;
    if (!view || view.id !== message.id) return;
    switch (message.type) {
      case 'showSources':
        this.highlights.show(view);
        return;
      case 'choose': {
        // Only the alternatives the panel offered: anything else is not a request this host made possible.
        const offered = (id: number) => view.choices.some((c) => c.id === id);
        if (offered(message.target) && offered(message.foil) && message.target !== message.foil) this.events.choose(view, message.target, message.foil);
        return;
      }
      case 'openHead':
        if (view.parts.some((p) => p.kind === 'head' && p.layer === message.layer && p.head === message.head))
          this.events.openHead(view, message.layer, message.head);
        return;
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
