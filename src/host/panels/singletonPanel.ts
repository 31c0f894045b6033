// What the editor panels share: the column beside the editor a panel is about, Model Lens' icon
// and webview page with its messages parsed, and (SingletonPanel) a panel of which there is one
// at a time — "Why this token?", "Step by step" — reused by the next command, taken over again when
// VS Code restores it after a reload, and showing one view, which a re-created page gets again.
import * as vscode from 'vscode';
import type { ToViewPanel } from '../../shared/protocol';
import type { WebviewApp } from '../webviewHtml';
import { setUpWebview } from '../webviewSetup';
import { WebviewChannel } from './webviewChannel';

/** The column beside `editorColumn`; beside the active one when there is none. */
export function besideColumn(editorColumn: vscode.ViewColumn | undefined): vscode.ViewColumn {
  return editorColumn === undefined ? vscode.ViewColumn.Beside : editorColumn + 1;
}

/** A panel's page: the webview app, its title for assistive technology, and the parser of what it sends. */
export interface PanelPage<From> {
  app: WebviewApp;
  label: string;
  parse(raw: unknown): From | undefined;
}

/** Makes `panel` show `page` with Model Lens' icon; `handle` gets each message the page sends that `page.parse` accepts. */
export function setUpPanel<From>(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, page: PanelPage<From>, handle: (message: From) => void): void {
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
  setUpWebview(panel.webview, extensionUri, page.app, page.label);
  panel.webview.onDidReceiveMessage((raw) => {
    const message = page.parse(raw);
    if (message) handle(message);
  });
}

/** A message a page sends besides `ready`. */
type Request<From> = Exclude<From, { type: 'ready' }>;

export abstract class SingletonPanel<View extends { id: number }, From extends { type: string }> implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  /** The open panel's: on `ready` (its page was re-created, or the window reloaded) it gets the view again. */
  private channel: WebviewChannel<ToViewPanel<View>> | undefined;
  private view: View | undefined;
  private nextId = 1;

  /** `title` is the tab's until the first view names it. */
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly viewType: string,
    private readonly title: string,
    private readonly page: PanelPage<From>,
  ) {}

  /** The tab's title while it shows `view`. */
  protected abstract titleOf(view: View): string;

  /** A request from the open panel's page (see viewFor). */
  protected abstract handle(request: Request<From>): void;

  /** Besides showing it: what the open panel showing `view` does (before the page gets it). */
  protected shown(_view: View): void {}

  /** Besides forgetting its view: what the panel's closing does. */
  protected closed(): void {}

  /** The view the panel shows, if its id is `id`: a request about any other is stale. */
  protected viewFor(id: number): View | undefined {
    return this.view?.id === id ? this.view : undefined;
  }

  newId(): number {
    return this.nextId++;
  }

  /** Shows the panel in the column beside `editorColumn`, creating it if it is closed. */
  reveal(editorColumn: vscode.ViewColumn | undefined): void {
    const column = besideColumn(editorColumn);
    if (this.panel) this.panel.reveal(this.panel.viewColumn ?? column, true);
    else this.adopt(vscode.window.createWebviewPanel(this.viewType, this.title, { viewColumn: column, preserveFocus: true }, {}));
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    // A page VS Code re-creates (hidden panel, reload) starts empty: it gets the view again.
    const channel = new WebviewChannel<ToViewPanel<View>>(
      (message) => void panel.webview.postMessage(message),
      () => (this.view ? { type: 'show', view: this.view } : undefined),
    );
    setUpPanel(panel, this.extensionUri, this.page, (message) => {
      if (message.type === 'ready') channel.ready();
      else this.handle(message as Request<From>);
    });
    panel.onDidDispose(() => {
      if (this.panel !== panel) return;
      this.closed();
      this.panel = undefined;
      this.channel = undefined;
      this.view = undefined;
    });
    this.panel = panel;
    this.channel = channel;
  }

  /**
   * Takes over a panel VS Code restores after a reload; `restore` computes its view again. The
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

  loading(text: string): void {
    this.channel?.post({ type: 'loading', text });
  }

  error(message: string): void {
    this.channel?.post({ type: 'error', message });
  }

  show(view: View): void {
    // Closed while the view was computed: nothing to show it in.
    if (!this.panel) return;
    this.view = view;
    this.panel.title = this.titleOf(view);
    this.shown(view);
    this.channel?.post({ type: 'show', view });
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
