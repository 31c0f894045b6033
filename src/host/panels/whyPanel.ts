// The "Why this token?" webview panel: one, beside the editor, reused by the next explanation.
// Shows what the command sends and passes the panel's requests on: another target or foil,
// a head to open in Explain Attention, the editor colouring on and off.
import type * as vscode from 'vscode';
import type { SourceHighlights } from '../decorations/sourceHighlights';
import { parseFromWhyPanel, type FromWhyPanel, type WhyView } from '../../shared/protocol';
import { SingletonPanel } from './singletonPanel';

export const WHY_VIEW_TYPE = 'modelLens.why';

export interface WhyPanelEvents {
  /** Explain the same token again against these ids (already checked to be among the view's choices). */
  choose(view: WhyView, target: number, foil: number): void;
  openHead(view: WhyView, layer: number, head: number): void;
}

export class WhyPanel extends SingletonPanel<WhyView, FromWhyPanel> {
  constructor(
    extensionUri: vscode.Uri,
    private readonly highlights: SourceHighlights,
    private readonly events: WhyPanelEvents,
  ) {
    super(extensionUri, WHY_VIEW_TYPE, 'Why this token?', { app: 'why', label: 'Model Lens: why this token', parse: parseFromWhyPanel });
  }

  protected titleOf(view: WhyView): string {
    return `Why ${JSON.stringify(view.token.text)}?`;
  }

  /** Only an explanation the panel shows colours the editor. */
  protected override shown(view: WhyView): void {
    this.highlights.show(view);
  }

  protected override closed(): void {
    this.highlights.clear();
  }

  protected handle(message: Exclude<FromWhyPanel, { type: 'ready' }>): void {
    if (message.type === 'clearSources') {
      this.highlights.clear();
      return;
    }
    const view = this.viewFor(message.id);
    if (!view) return;
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
}
