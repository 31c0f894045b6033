// Token probabilities for any text document, analysed in windows on demand and cached per
// document: an edit invalidates only the windows it touches, a closed document or a new model
// drops them, and a result computed on text that changed meanwhile is thrown away.
import * as vscode from 'vscode';
import type { ModelManager } from '../modelManager';
import { TOP_K, windowBudget } from './budgets';
import { planWindow, WindowCache, type Budget, type DocumentShape, type DocumentWindow, type TokenInfo } from './documentWindows';
import { windowTokens } from './tokenInfo';

function shapeOf(doc: vscode.TextDocument): DocumentShape {
  // The end of the last line, without copying the whole text (a document may be megabytes).
  const length = doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
  return {
    length,
    lineStart: (offset) => doc.offsetAt(new vscode.Position(doc.positionAt(offset).line, 0)),
    nextLineStart: (offset) => {
      const line = doc.positionAt(offset).line;
      return line + 1 < doc.lineCount ? doc.offsetAt(new vscode.Position(line + 1, 0)) : length;
    },
  };
}

export class TokenProbabilities implements vscode.Disposable {
  private readonly caches = new Map<string, WindowCache>();
  private readonly pending = new Map<string, Promise<DocumentWindow | undefined>>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires when a document gets newly analysed windows. */
  readonly onDidAnalyse = this.changed.event;

  constructor(private readonly models: ModelManager) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        const cache = this.caches.get(e.document.uri.toString());
        // Changes are reported against the text before the event, last change first.
        for (const c of [...e.contentChanges].sort((a, b) => b.rangeOffset - a.rangeOffset)) cache?.applyEdit(c.rangeOffset, c.rangeOffset + c.rangeLength, c.text.length);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => this.caches.delete(doc.uri.toString())),
      models.onDidChangeModel(() => this.caches.clear()),
      this.changed,
    );
  }

  private cacheFor(doc: vscode.TextDocument): WindowCache {
    const key = doc.uri.toString();
    let cache = this.caches.get(key);
    if (!cache) this.caches.set(key, (cache = new WindowCache()));
    return cache;
  }

  private budget(): Budget {
    return windowBudget(this.models.current?.positions ?? 512);
  }

  /** The token at an offset if its window is already analysed (no work started). */
  cachedTokenAt(doc: vscode.TextDocument, offset: number): TokenInfo | undefined {
    return tokenContaining(this.caches.get(doc.uri.toString())?.find(offset), offset);
  }

  async tokenAt(doc: vscode.TextDocument, offset: number, token?: vscode.CancellationToken): Promise<TokenInfo | undefined> {
    const window = this.cacheFor(doc).find(offset) ?? (await this.analyseAround(doc, offset, token));
    return tokenContaining(window, offset);
  }

  /** Every token starting in [start, end), analysing the windows that are missing. */
  async tokensIn(doc: vscode.TextDocument, start: number, end: number, token?: vscode.CancellationToken): Promise<TokenInfo[]> {
    for (let offset = start; offset < end && !token?.isCancellationRequested; ) {
      const window = this.cacheFor(doc).find(offset) ?? (await this.analyseAround(doc, offset, token));
      if (!window) break;
      offset = Math.max(window.ownedEnd, offset + 1);
    }
    return this.cacheFor(doc)
      .overlapping(start, end)
      .flatMap((w) => w.tokens.filter((t) => t.start >= start && t.start < end));
  }

  /** Plans and analyses the window owning `offset`; concurrent requests for it share the work. */
  private analyseAround(doc: vscode.TextDocument, offset: number, token?: vscode.CancellationToken): Promise<DocumentWindow | undefined> {
    const cache = this.cacheFor(doc);
    const plan = planWindow(shapeOf(doc), offset, cache.all, this.budget());
    const key = `${doc.uri.toString()}#${doc.version}#${plan.ownedStart}`;
    let work = this.pending.get(key);
    if (!work) {
      const version = doc.version;
      const text = doc.getText(new vscode.Range(doc.positionAt(plan.contextStart), doc.positionAt(plan.ownedEnd)));
      work = this.models
        // Hovers and the status bar are not requests: a load they start shows in the status bar only.
        .analyze(text, { lens: { fromChar: plan.ownedStart - plan.contextStart }, topK: TOP_K }, token, 'window')
        .then((analysis) => {
          // Text edited meanwhile: these offsets describe text that no longer exists.
          if (doc.version !== version) return undefined;
          // A window whose start fell out of the model's window owns only what was analysed.
          const analysedFrom = plan.contextStart + (analysis.tokens.find((t) => !t.special)?.start ?? 0);
          const owned = { ...plan, ownedStart: Math.max(plan.ownedStart, analysedFrom) };
          const window: DocumentWindow = { ...owned, tokens: windowTokens(analysis, owned) };
          cache.add(window);
          this.changed.fire(doc.uri);
          return window;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, work);
    }
    return work;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function tokenContaining(window: DocumentWindow | undefined, offset: number): TokenInfo | undefined {
  return window?.tokens.find((t) => t.start <= offset && offset < t.end);
}
