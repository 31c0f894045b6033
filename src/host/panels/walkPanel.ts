// The "Step by step" webview panel: one, beside the editor, reused by the next walk. Shows what
// the command sends and passes the panel's requests on: another token of the same text, a head to
// open in Explain Attention.
import type * as vscode from 'vscode';
import { parseFromWalkPanel, type FromWalkPanel, type WalkView } from '../../shared/protocol';
import { SingletonPanel } from './singletonPanel';

export const WALK_VIEW_TYPE = 'modelLens.walk';

export interface WalkPanelEvents {
  /** Walk the token at `position` of the same analysis (already checked to be one of its tokens). */
  pick(view: WalkView, position: number): void;
  openHead(view: WalkView, layer: number, head: number): void;
}

export class WalkPanel extends SingletonPanel<WalkView, FromWalkPanel> {
  constructor(
    extensionUri: vscode.Uri,
    private readonly events: WalkPanelEvents,
  ) {
    super(extensionUri, WALK_VIEW_TYPE, 'Step by step', { app: 'walk', label: 'Model Lens: the whole model, step by step', parse: parseFromWalkPanel });
  }

  protected titleOf(view: WalkView): string {
    return `Step by step: ${JSON.stringify(view.tokens[view.position]?.text ?? '')}`;
  }

  protected handle(message: Exclude<FromWalkPanel, { type: 'ready' }>): void {
    const view = this.viewFor(message.id);
    if (!view) return;
    switch (message.type) {
      case 'pick':
        if (message.position < view.tokens.length && !view.tokens[message.position].special) this.events.pick(view, message.position);
        return;
      case 'openHead':
        if (message.layer < view.model.layers && message.head < view.model.heads) this.events.openHead(view, message.layer, message.head);
        return;
    }
  }
}
