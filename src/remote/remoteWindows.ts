// A document window scored by a completions server, in the per-token form the hover, the heatmap
// and the status bar read (TokenInfo), and the size of the windows a server's context allows.
// Pure: no `vscode`.
import { TOP_K, windowBudget } from '../probabilities/budgets';
import type { Budget, TokenInfo, WindowPlan } from '../probabilities/documentWindows';
import type { CompletionsClient, ScoredPrompt } from './completionsClient';

/**
 * Alternatives asked of the server per token: enough to tell GLTR's top 10 when the server gives
 * ranks only within them (the echo form); vLLM allows 20 unless started with more.
 */
export const REMOTE_TOP_K = 10;
/** The context assumed when the server does not say (GET /v1/models without max_model_len). */
export const DEFAULT_CONTEXT_TOKENS = 2048;
/** Windows are sized for at most this much context: longer ones would make a hover wait on a large request. */
export const MAX_WINDOW_CONTEXT_TOKENS = 4096;

/**
 * Windows for a server whose model takes `contextTokens`. Without the model's tokenizer, the
 * window must fit however the text tokenizes: the local budget for half the context keeps a
 * window (owned text and its context) at 0.875 characters per position, within the context for
 * any text whose tokens are at least a character long, which code and Latin-script prose are.
 */
export function remoteBudget(contextTokens: number | undefined): Budget {
  return windowBudget(Math.floor(Math.min(contextTokens ?? DEFAULT_CONTEXT_TOKENS, MAX_WINDOW_CONTEXT_TOKENS) / 2));
}

/**
 * The tokens of a scored window that start in its owned region, in document offsets. `prompt`
 * is the window's text, [plan.contextStart, plan.ownedEnd) of the document.
 */
export function remoteWindowTokens(scored: ScoredPrompt, plan: WindowPlan, prompt: string, server: string): TokenInfo[] {
  const remote = { model: scored.model, server };
  const out: TokenInfo[] = [];
  for (const t of scored.tokens) {
    const start = plan.contextStart + t.start;
    if (start < plan.ownedStart || start >= plan.ownedEnd || t.end === t.start) continue;
    const predicted = t.logprob !== null;
    out.push({
      start,
      end: plan.contextStart + t.end,
      id: t.id ?? -1,
      // The text the token covers, as the local model's tokens give it (the server's decoding of
      // part of a character would be a replacement character).
      text: prompt.slice(t.start, t.end),
      prob: predicted ? Math.exp(t.logprob!) : NaN,
      rank: t.rank ?? 0,
      rankAbove: predicted && t.rank === undefined ? Math.min(REMOTE_TOP_K, t.top.length) : undefined,
      // The entropy needs the whole distribution; a server gives its top k.
      entropy: NaN,
      top: t.top.slice(0, TOP_K).map((alt) => ({ text: alt.text, prob: Math.exp(alt.logprob) })),
      firstTopRow: -1,
      lensRows: 0,
      remote,
    });
  }
  return out;
}

/** Scores one window on the server and returns its tokens (see remoteWindowTokens). */
export async function scoreWindow(client: CompletionsClient, prompt: string, plan: WindowPlan, signal?: AbortSignal): Promise<TokenInfo[]> {
  // An empty document has no tokens to score.
  if (prompt.length === 0) return [];
  const scored = await client.scorePrompt(prompt, REMOTE_TOP_K, signal);
  return remoteWindowTokens(scored, plan, prompt, client.server);
}
