// The Markdown of Model Lens hovers: what the model thought of a token, given the text before it,
// how much attention a highlighted token gets, and what switching heads off did to it. Text from
// the model or the document goes in through ../text/untrusted, so it is shown as text.
import { formatBits } from '../../../webview/attention/format';
import type { AblatedToken, AblationEffect } from '../decorations/ablationEffect';
import type { TokenInfo } from '../probabilities/documentWindows';
import { markdownCode, markdownText, visibleWhitespace } from '../text/untrusted';

/** Characters in a probability bar: fixed, so that every bar lines up in the monospace code span. */
export const BAR_WIDTH = 12;

/**
 * A bar of text as long as p is next to the most likely alternative: █ for the part filled, ░ for
 * the rest. Characters, not an image or colours, so it looks the same in every theme and high
 * contrast; the percentage beside it carries the number for screen readers.
 */
export function probabilityBar(p: number, top: number): string {
  const filled = top > 0 && Number.isFinite(p) ? Math.round(Math.max(0, Math.min(1, p / top)) * BAR_WIDTH) : 0;
  return '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
}

/**
 * A token in a cell of a Markdown table, as a code span. A `|` would end the cell even inside the
 * span, so it is escaped; but VS Code's renderer (marked) cannot show a backslash right before a
 * pipe in a table's code span (an even run of backslashes ends the cell, an odd one shows one too
 * many), so such a token is written as escaped text instead, whitespace still made visible.
 */
function tokenCell(text: string): string {
  const code = markdownCode(text);
  return code.includes('\\|') ? markdownText(visibleWhitespace(text)) : code.replace(/\|/g, '\\|');
}

export function percent(p: number): string {
  if (!Number.isFinite(p)) return '—';
  return p >= 0.1 ? `${(p * 100).toFixed(1)}%` : p >= 0.001 ? `${(p * 100).toFixed(2)}%` : `${Number((p * 100).toPrecision(2))}%`;
}

function lensSentence(t: TokenInfo): string {
  if (t.lensRows === 0) return '';
  // A masked model's lens reads the stream at the token itself, which it sees unmasked.
  const lens = t.masked ? 'logit lens, with the token visible' : 'logit lens';
  if (t.firstTopRow < 0) return `It was not the top prediction at any layer (${lens}).`;
  if (t.firstTopRow === 0) return `It was already the top prediction from the embeddings alone (${lens}).`;
  return `It first became the top prediction after layer ${t.firstTopRow - 1} of ${t.lensRows - 1} (${lens}).`;
}

export interface HoverLinks {
  /** A command: URI that opens Explain Attention on the token's line. */
  explainLine: string;
  /** A command: URI that opens Why This Token? on the token. */
  whyToken: string;
}

/** The rank, or what is known of it when a server lists only its top k. */
function rankText(t: TokenInfo): string {
  if (t.rank > 0) return String(t.rank);
  return t.rankAbove ? `below the top ${t.rankAbove}` : '—';
}

export function hoverMarkdown(t: TokenInfo, modelName: string, links: HoverLinks): string {
  // A token from a server says so: its model, not the local one, answered.
  const lines: string[] = [`**Model Lens** · ${markdownCode(t.text)} · ${markdownText(t.remote?.model ?? modelName)}`, ''];
  if (t.remote) lines.push(`Answered by the server ${markdownText(t.remote.server)}; attention and "why this token?" use the local model.`, '');
  if (!Number.isFinite(t.prob)) {
    lines.push(
      t.masked
        ? 'A special token the tokenizer adds: the model is not asked to predict it.'
        : 'The first token: nothing comes before it, so the model made no prediction for it.',
    );
  } else {
    lines.push(
      '| | |',
      '|:--|--:|',
      t.masked ? `| P(token \\| the rest, token masked) | **${percent(t.prob)}** |` : `| P(token \\| text before) | **${percent(t.prob)}** |`,
      `| rank | ${rankText(t)} |`,
      `| surprisal | ${(-Math.log2(t.prob)).toFixed(2)} bits |`,
      // A server gives its likeliest tokens, not the whole distribution the entropy needs.
      `| entropy of the prediction | ${Number.isFinite(t.entropy) ? `${t.entropy.toFixed(2)} bits` : 'not known'} |`,
      '',
      // A table read left to right: the token and its probability first, the bar (which a screen
      // reader spells out) last, so that nothing but the bar needs to be skipped.
      t.masked
        ? 'Top predictions for this position with the token masked (bars relative to the first):'
        : 'Top predictions for this position (bars relative to the first):',
      '',
      '| | | |',
      '|:--|--:|:--|',
      ...t.top.map((alt) => {
        const self = alt.text === t.text ? ' (this token)' : '';
        return `| ${tokenCell(alt.text)}${self} | ${percent(alt.prob)} | \`${probabilityBar(alt.prob, t.top[0]?.prob ?? 1)}\` |`;
      }),
    );
    const lens = lensSentence(t);
    if (lens) lines.push('', lens);
  }
  lines.push('', `[Explain attention on this line](${links.explainLine})`);
  // The first token was predicted from nothing: there is nothing to attribute. A masked model's
  // prediction is not made from the text before it, which is what the attribution splits.
  if (Number.isFinite(t.prob) && !t.masked) lines.push('', `[Why this token?](${links.whyToken})`);
  return lines.join('\n');
}

/** An attention highlight's hover: the token that attends (label: which layer and head), and its weight on this one. */
export function attentionHoverMarkdown(queryText: string, label: string, weight: number): string {
  return `**Model Lens** · from ${markdownCode(queryText)}, ${label}\n\nattention to this token: **${(weight * 100).toFixed(1)}%**`;
}

/** A "Why this token?" source highlight's hover: this earlier token's share of logit(target) − logit(foil). */
export function sourceHoverMarkdown(sourceText: string, value: number, target: string, foil: string): string {
  const signed = `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;
  return `**Model Lens** · why ${markdownCode(target)} rather than ${markdownCode(foil)}\n\nthrough attention, ${markdownCode(sourceText)} adds **${signed}** to logit(${markdownCode(target)}) − logit(${markdownCode(foil)})`;
}

/** Heads named in an ablation's hover line; more are counted, not listed (the panel lists them all). */
const NAMED_HEADS = 6;

/**
 * What switching heads off did to a token, for its hover: "With L0 H1, L1 H3 switched off (zero):
 * P 6.1% → 2.3% · Δ log₂ P −1.41 bits". Bits, as the attention panel's token strip gives them.
 */
export function ablationHoverLine(effect: Pick<AblationEffect, 'heads' | 'mode'>, token: AblatedToken): string {
  const named = effect.heads.slice(0, NAMED_HEADS).map((h) => `L${h.layer} H${h.head}`);
  if (effect.heads.length > NAMED_HEADS) named.push(`${effect.heads.length - NAMED_HEADS} more`);
  const heads = `With ${named.join(', ')} switched off (${effect.mode})`;
  if (!Number.isFinite(token.clean)) return `${heads}: the first token, with nothing before it to predict it from, has no probability to change.`;
  return `${heads}: P ${percent(token.clean)} → **${percent(token.ablated)}** · Δ log₂ P **${formatBits(token.delta)}**`;
}
