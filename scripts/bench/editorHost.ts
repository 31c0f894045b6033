// The extension host's side of token probabilities without VS Code: a plain-string document and
// TokenProbabilities' glue around the real planWindow, WindowCache and windowTokens, mirrored
// from src/host/probabilities/tokenProbabilities.ts (which imports `vscode` and cannot run here),
// with the extension's own budgets (src/host/probabilities/budgets.ts).
import type { EngineClient } from '../../src/engine/client';
import { planWindow, WindowCache, type Budget, type DocumentShape, type DocumentWindow, type TokenInfo } from '../../src/host/probabilities/documentWindows';
import { windowTokens } from '../../src/host/probabilities/tokenInfo';
import { TOP_K } from '../../src/host/probabilities/budgets';

/** A text document as the extension host holds it: text, version, line starts. */
export class Doc implements DocumentShape {
  version = 1;
  private starts: number[] = [];

  constructor(public text: string) {
    this.index();
  }

  private index(): void {
    this.starts = [0];
    for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  get length(): number {
    return this.text.length;
  }

  get lineCount(): number {
    return this.starts.length;
  }

  line(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  offsetOfLine(line: number): number {
    return line < this.starts.length ? this.starts[line] : this.text.length;
  }

  lineStart(offset: number): number {
    return this.starts[this.line(offset)];
  }

  nextLineStart(offset: number): number {
    return this.offsetOfLine(this.line(offset) + 1);
  }

  /** Inserts text without a newline, as typing does; line starts after it move. */
  insert(offset: number, s: string): void {
    this.text = this.text.slice(0, offset) + s + this.text.slice(offset);
    for (let l = this.line(offset) + 1; l < this.starts.length; l++) this.starts[l] += s.length;
    this.version++;
  }
}

/** TokenProbabilities without VS Code: one document's windows, analysed on demand. */
export class Probabilities {
  readonly cache = new WindowCache();
  private readonly pending = new Map<string, Promise<DocumentWindow | undefined>>();
  analyses = 0;
  discarded = 0;

  constructor(
    private readonly engine: EngineClient,
    private readonly doc: Doc,
    private readonly budget: Budget,
  ) {}

  cachedTokenAt(offset: number): TokenInfo | undefined {
    return tokenContaining(this.cache.find(offset), offset);
  }

  async tokenAt(offset: number, signal?: AbortSignal): Promise<TokenInfo | undefined> {
    return tokenContaining(this.cache.find(offset) ?? (await this.analyseAround(offset, signal)), offset);
  }

  async tokensIn(start: number, end: number, signal?: AbortSignal): Promise<TokenInfo[]> {
    for (let offset = start; offset < end && !signal?.aborted; ) {
      const window = this.cache.find(offset) ?? (await this.analyseAround(offset, signal));
      if (!window) break;
      offset = Math.max(window.ownedEnd, offset + 1);
    }
    return this.cache.overlapping(start, end).flatMap((w) => w.tokens.filter((t) => t.start >= start && t.start < end));
  }

  private analyseAround(offset: number, signal?: AbortSignal): Promise<DocumentWindow | undefined> {
    const plan = planWindow(this.doc, offset, this.cache.all, this.budget);
    const key = `${this.doc.version}#${plan.ownedStart}`;
    let work = this.pending.get(key);
    if (!work) {
      const version = this.doc.version;
      const text = this.doc.text.slice(plan.contextStart, plan.ownedEnd);
      this.analyses++;
      work = this.engine
        .analyze(text, { selectionStart: plan.ownedStart - plan.contextStart, lens: 'selection', topK: TOP_K }, signal)
        .then((analysis) => {
          if (this.doc.version !== version) {
            this.discarded++;
            return undefined;
          }
          const analysedFrom = plan.contextStart + (analysis.tokens.find((t) => !t.special)?.start ?? 0);
          const owned = { ...plan, ownedStart: Math.max(plan.ownedStart, analysedFrom) };
          const window: DocumentWindow = { ...owned, tokens: windowTokens(analysis, owned) };
          this.cache.add(window);
          return window;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, work);
    }
    return work;
  }
}

export function tokenContaining(window: DocumentWindow | undefined, offset: number): TokenInfo | undefined {
  return window?.tokens.find((t) => t.start <= offset && offset < t.end);
}
