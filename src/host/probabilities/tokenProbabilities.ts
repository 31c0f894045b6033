// Token probabilities for any text document, analysed in windows on demand and cached per
// document: an edit invalidates only the windows it touches, a closed document or a new model
// drops them, and a result computed on text that changed meanwhile is thrown away. With
// modelLens.remote.endpoint set, windows are scored by that server instead of the local model,
// several at a time.
import * as vscode from 'vscode';
import type { ModelManager } from '../modelManager';
import type { RemoteProbabilities } from '../remote/remoteProbabilities';
import { TOP_K, windowBudget } from './budgets';
import { planWindow, WindowCache, type Budget, type DocumentShape, type DocumentWindow, type TokenInfo, type WindowPlan } from './documentWindows';
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

/** A window being analysed: its plan, so that planning around it leaves it alone, and the work. */
interface PendingWindow {
  plan: WindowPlan;
  work: Promise<DocumentWindow | undefined>;
}

export class TokenProbabilities implements vscode.Disposable {
  private readonly caches = new Map<string, WindowCache>();
  /** Windows in progress, per document version. */
  private readonly pending = new Map<string, PendingWindow[]>();
  /** Bumped when every cached window becomes stale (another model or server): work started before is dropped. */
  private generation = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires when a document gets newly analysed windows. */
  readonly onDidAnalyse = this.changed.event;

  constructor(
    private readonly models: ModelManager,
    private readonly remote?: RemoteProbabilities,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        const cache = this.caches.get(e.document.uri.toString());
        // Changes are reported against the text before the event, last change first.
        for (const c of [...e.contentChanges].sort((a, b) => b.rangeOffset - a.rangeOffset))
          cache?.applyEdit(c.rangeOffset, c.rangeOffset + c.rangeLength, c.text.length);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => this.caches.delete(doc.uri.toString())),
      // Another local model changes nothing the server answered.
      models.onDidChangeModel(() => !this.remote?.enabled && this.drop()),
      this.changed,
    );
    if (remote) this.disposables.push(remote.onDidChange(() => this.drop()));
  }

  private drop(): void {
    this.generation++;
    this.caches.clear();
    this.pending.clear();
  }

  private cacheFor(doc: vscode.TextDocument): WindowCache {
    const key = doc.uri.toString();
    let cache = this.caches.get(key);
    if (!cache) this.caches.set(key, (cache = new WindowCache()));
    return cache;
  }

  private budget(token?: vscode.CancellationToken): Budget | Promise<Budget> {
    if (this.remote?.enabled) return this.remote.budget(token);
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

  /**
   * Every token starting in [start, end), analysing the windows that are missing: one at a time
   * on the local model, modelLens.remote.windowsInFlight at a time on a server.
   */
  async tokensIn(doc: vscode.TextDocument, start: number, end: number, token?: vscode.CancellationToken): Promise<TokenInfo[]> {
    for (let offset = start; offset < end && !token?.isCancellationRequested; ) {
      const cached = this.cacheFor(doc).find(offset);
      if (cached) {
        offset = Math.max(cached.ownedEnd, offset + 1);
        continue;
      }
      const windows = await this.analyseFrom(doc, offset, end, token);
      if (windows.length === 0 || windows.some((w) => !w)) break;
      offset = Math.max(windows.at(-1)!.ownedEnd, offset + 1);
    }
    return this.cacheFor(doc)
      .overlapping(start, end)
      .flatMap((w) => w.tokens.filter((t) => t.start >= start && t.start < end));
  }

  /** The window owning `offset`, analysed (or joined, when it is on its way). */
  private async analyseAround(doc: vscode.TextDocument, offset: number, token?: vscode.CancellationToken): Promise<DocumentWindow | undefined> {
    return (await this.analyseFrom(doc, offset, offset + 1, token))[0];
  }

  /**
   * Plans the window owning `offset` and, on a server, the windows after it up to `end`, as many
   * as may be in flight; starts those not already on their way, and waits for them all.
   */
  private async analyseFrom(doc: vscode.TextDocument, offset: number, end: number, token?: vscode.CancellationToken): Promise<(DocumentWindow | undefined)[]> {
    const budget = await this.budget(token);
    const key = `${doc.uri.toString()}#${doc.version}`;
    const cache = this.cacheFor(doc);
    const pending = this.pending.get(key) ?? [];
    const ahead = this.remote?.enabled ? this.remote.windowsInFlight : 1;
    const shape = shapeOf(doc);
    const works: Promise<DocumentWindow | undefined>[] = [];
    for (let at = offset; works.length < ahead && at < Math.max(end, offset + 1); ) {
      if (works.length > 0 && (at >= shape.length || cache.find(at))) break;
      const joined = pending.find((p) => p.plan.ownedStart <= at && at < p.plan.ownedEnd);
      const plan = joined?.plan ?? planWindow(shape, at, [...cache.all, ...pending.map((p) => p.plan)], budget);
      works.push(joined?.work ?? this.startWindow(doc, key, plan, pending, token));
      if (plan.ownedEnd <= at) break;
      at = plan.ownedEnd;
    }
    return Promise.all(works);
  }

  /** Analyses one planned window, locally or on the server, and caches it unless it went stale meanwhile. */
  private startWindow(
    doc: vscode.TextDocument,
    key: string,
    plan: WindowPlan,
    pending: PendingWindow[],
    token?: vscode.CancellationToken,
  ): Promise<DocumentWindow | undefined> {
    const version = doc.version;
    const generation = this.generation;
    const cache = this.cacheFor(doc);
    const text = doc.getText(new vscode.Range(doc.positionAt(plan.contextStart), doc.positionAt(plan.ownedEnd)));
    const remote = this.remote?.enabled ? this.remote : undefined;
    const analysed: Promise<{ plan: WindowPlan; tokens: TokenInfo[] }> = remote
      ? remote.analyse(text, plan, token).then((tokens) => ({ plan, tokens }))
      : this.models
          // Hovers and the status bar are not requests: a load they start shows in the status bar only.
          .analyze(text, { selectionStart: plan.ownedStart - plan.contextStart, lens: 'selection', topK: TOP_K }, token, 'window')
          .then((analysis) => {
            // A window whose start fell out of the model's window owns only what was analysed.
            const analysedFrom = plan.contextStart + (analysis.tokens.find((t) => !t.special)?.start ?? 0);
            const owned = { ...plan, ownedStart: Math.max(plan.ownedStart, analysedFrom) };
            return { plan: owned, tokens: windowTokens(analysis, owned) };
          });
    const entry: PendingWindow = { plan, work: Promise.resolve(undefined) };
    entry.work = analysed
      .then(({ plan: owned, tokens }) => {
        // Text edited meanwhile, or another model or server: these tokens describe what no longer is.
        if (doc.version !== version || this.generation !== generation) return undefined;
        const window: DocumentWindow = { ...owned, tokens };
        cache.add(window);
        this.changed.fire(doc.uri);
        return window;
      })
      .finally(() => {
        pending.splice(pending.indexOf(entry), 1);
        if (pending.length === 0 && this.pending.get(key) === pending) this.pending.delete(key);
      });
    pending.push(entry);
    this.pending.set(key, pending);
    return entry.work;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function tokenContaining(window: DocumentWindow | undefined, offset: number): TokenInfo | undefined {
  return window?.tokens.find((t) => t.start <= offset && offset < t.end);
}
