// A document too long for the model is analysed in windows. Each window owns a region of the
// document and reads the text before it as context; owned regions never overlap, so every
// position is predicted exactly once, and a prediction depends only on the text before it, so
// an edit leaves earlier windows valid and only shifts later ones. No VS Code here.

/** How the planner sees a document: its length and its line boundaries. */
export interface DocumentShape {
  length: number;
  /** Offset of the start of the line holding `offset`. */
  lineStart(offset: number): number;
  /** Offset of the start of the next line after the one holding `offset` (or the end). */
  nextLineStart(offset: number): number;
}

export interface WindowPlan {
  /** The analysed text is [contextStart, ownedEnd); predictions are kept for [ownedStart, ownedEnd). */
  contextStart: number;
  ownedStart: number;
  ownedEnd: number;
}

export interface Budget {
  /** Characters a window may own. */
  owned: number;
  /** Characters of context read before the owned region. */
  context: number;
}

/** What is kept per token of a window: small, so many windows fit in memory. */
export interface TokenInfo {
  /** Document offsets. */
  start: number;
  end: number;
  id: number;
  text: string;
  /** P(token | text before), or for a masked model P(token | the rest of the text, token masked); NaN where nothing predicted it. */
  prob: number;
  /** A masked language model's: prob, rank, entropy and `top` were computed with this token masked. */
  masked?: boolean;
  /** 1-based rank in the prediction; 0 where none was made, or where only `rankAbove` is known. */
  rank: number;
  /** Where the rank is not known: it is below this many alternatives (a server that gives only its top k). */
  rankAbove?: number;
  /** Entropy of the prediction in bits; NaN where nothing came before, or the whole distribution is not known (a server). */
  entropy: number;
  /** The model's top alternatives for this position. */
  top: { text: string; prob: number }[];
  /** Lens row (0 = embedding, L + 1 = after block L) from which this token was the top prediction; -1 if never. */
  firstTopRow: number;
  /** 0 where there is no logit lens (a server gives none). */
  lensRows: number;
  /** The model and server that answered, for tokens from a remote backend (one object shared by a window's tokens). */
  remote?: { model: string; server: string };
}

export interface DocumentWindow extends WindowPlan {
  /** The tokens that start in the owned region, in order. */
  tokens: TokenInfo[];
}

/**
 * Plans the window that will own `offset`: whole lines around it up to the owned budget (or a
 * slice of one long line), never overlapping the owned regions of `existing` windows.
 */
export function planWindow(doc: DocumentShape, offset: number, existing: readonly WindowPlan[], budget: Budget): WindowPlan {
  const at = Math.max(0, Math.min(offset, Math.max(0, doc.length - 1)));
  let floor = 0;
  let ceiling = doc.length;
  for (const w of existing) {
    if (w.ownedEnd <= at) floor = Math.max(floor, w.ownedEnd);
    if (w.ownedStart > at) ceiling = Math.min(ceiling, w.ownedStart);
  }
  let start = Math.max(floor, doc.lineStart(at));
  let end = Math.min(ceiling, doc.nextLineStart(at));
  if (end - start > budget.owned) {
    // One line longer than the budget (minified code, a 5 MB line): own a slice around the offset.
    start = Math.max(start, at - Math.floor(budget.owned / 2));
    end = Math.min(end, start + budget.owned);
  }
  // Grow by whole lines, forwards first (reading order), while the budget allows.
  for (let grew = true; grew; ) {
    grew = false;
    if (end < ceiling) {
      const next = Math.min(ceiling, doc.nextLineStart(end));
      if (next - start <= budget.owned) {
        end = next;
        grew = true;
      }
    }
    if (start > floor) {
      const previous = Math.max(floor, doc.lineStart(start - 1));
      if (end - previous <= budget.owned) {
        start = previous;
        grew = true;
      }
    }
  }
  return { contextStart: Math.max(0, start - budget.context), ownedStart: start, ownedEnd: end };
}

/** The analysed windows of one document, kept valid across edits. */
export class WindowCache {
  private windows: DocumentWindow[] = [];

  get all(): readonly DocumentWindow[] {
    return this.windows;
  }

  find(offset: number): DocumentWindow | undefined {
    return this.windows.find((w) => w.ownedStart <= offset && offset < w.ownedEnd);
  }

  /** Windows owning any part of [start, end). */
  overlapping(start: number, end: number): DocumentWindow[] {
    return this.windows.filter((w) => w.ownedStart < end && start < w.ownedEnd);
  }

  add(window: DocumentWindow): void {
    this.windows = [...this.windows.filter((w) => w.ownedEnd <= window.ownedStart || w.ownedStart >= window.ownedEnd), window].sort(
      (a, b) => a.ownedStart - b.ownedStart,
    );
  }

  /**
   * Applies an edit that replaced [start, oldEnd) with `newLength` characters: windows whose text
   * ends before the edit stay, windows whose text starts after it move, the rest are dropped.
   */
  applyEdit(start: number, oldEnd: number, newLength: number): void {
    const delta = newLength - (oldEnd - start);
    this.windows = this.windows.flatMap((w) => {
      if (w.ownedEnd < start) return [w];
      if (w.contextStart >= oldEnd) {
        return [
          {
            ...w,
            contextStart: w.contextStart + delta,
            ownedStart: w.ownedStart + delta,
            ownedEnd: w.ownedEnd + delta,
            tokens: w.tokens.map((t) => ({ ...t, start: t.start + delta, end: t.end + delta })),
          },
        ];
      }
      return [];
    });
  }

  clear(): void {
    this.windows = [];
  }
}
