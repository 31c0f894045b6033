// The last head ablation the attention panel ran, kept for the editor: while it lasts, the hover
// adds a token's change to its answer and the explained text is coloured by the changes. One at a
// time (the panel that ran it last). It goes when that panel resets, closes or explains other
// text, when the model changes (its numbers would be another model's), and when its document is
// edited or closed (its offsets would point at other text).
import * as vscode from 'vscode';
import type { AblationMode, HeadRef } from '../../shared/protocol';

/** One explained token: where it is in the document and what switching the heads off did to it. */
export interface AblatedToken {
  /** [start, end) in document offsets. */
  start: number;
  end: number;
  /** P(token | before) in the plain run and with the heads off (NaN where nothing came before). */
  clean: number;
  ablated: number;
  /** log2 ablated − log2 clean, in bits (NaN where either is not positive). */
  delta: number;
}

export interface AblationEffect {
  documentUri: string;
  heads: readonly HeadRef[];
  mode: AblationMode;
  /** The explained tokens, in document order. */
  tokens: readonly AblatedToken[];
}

export class AblationEffects implements vscode.Disposable {
  private current: { effect: AblationEffect; owner: object } | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** The effect was set or cleared: whatever shows it reads `effect` again. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[];

  constructor(onDidChangeModel: vscode.Event<unknown>) {
    const isShown = (uri: vscode.Uri) => this.current?.effect.documentUri === uri.toString();
    this.disposables = [
      this.changed,
      onDidChangeModel(() => this.clear()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && isShown(e.document.uri)) this.clear();
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (isShown(doc.uri)) this.clear();
      }),
    ];
  }

  get effect(): AblationEffect | undefined {
    return this.current?.effect;
  }

  /** Shows `effect` instead of any other; `owner` (the panel that ran it) is the one that may clear it. */
  set(owner: object, effect: AblationEffect): void {
    this.current = { effect, owner };
    this.changed.fire();
  }

  /** Forgets the effect; given an owner, only the one that owner set (another panel's stays). */
  clear(owner?: object): void {
    if (!this.current || (owner !== undefined && this.current.owner !== owner)) return;
    this.current = undefined;
    this.changed.fire();
  }

  /** The ablated token at `offset` of the document `uri`, if the effect covers it. */
  tokenAt(uri: string, offset: number): AblatedToken | undefined {
    const effect = this.effect;
    if (effect?.documentUri !== uri) return undefined;
    return effect.tokens.find((t) => t.start <= offset && offset < t.end);
  }

  /** The document offsets the effect covers in `uri`: from its first token's start to its last one's end. */
  coveredRange(uri: string): { start: number; end: number } | undefined {
    const tokens = this.effect?.documentUri === uri ? this.effect.tokens : [];
    return tokens.length ? { start: tokens[0].start, end: tokens[tokens.length - 1].end } : undefined;
  }

  dispose(): void {
    this.current = undefined;
    for (const d of this.disposables) d.dispose();
  }
}
