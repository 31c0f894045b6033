// What the "Why this token?" panel is sent: the engine's direct logit attribution of one token,
// named, sorted and in document offsets, with the alternatives the user may explain it against.
// Pure functions of an Analysis, so they are tested without VS Code.
import type { Analysis, Token } from '../../engine/types';
import type { WhyChoice, WhyView } from '../../shared/protocol';
import { partLabel } from '../../shared/attributionParts';

export interface ExplainedToken {
  id: number;
  /** An analysis made with `attribution`. */
  analysis: Analysis;
  modelName: string;
  document: { uri: string; name: string };
  /** Document offset of the analysed text's first character. */
  baseOffset: number;
}

/**
 * The token a cursor at `offset` (into the analysed text) is on: the one holding the character
 * after it, or, at the end of a line or of the text, the one that ends there. Special tokens hold
 * no text and are never chosen. -1 when there is none.
 */
export function tokenAtOffset(tokens: readonly Token[], offset: number): number {
  const within = tokens.findIndex((t) => !t.special && t.start <= offset && offset < t.end);
  if (within >= 0) return within;
  for (let i = tokens.length - 1; i >= 0; i--) if (!tokens[i].special && tokens[i].end === offset && tokens[i].end > tokens[i].start) return i;
  return -1;
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** The token in the text, then the model's top predictions for its position, each once. */
function choicesAt(analysis: Analysis, position: number): WhyChoice[] {
  const actual = analysis.tokens[position];
  const choices: WhyChoice[] = [{ id: actual.id, text: analysis.pieces[actual.id] ?? actual.text, prob: finite(analysis.prob[position]) }];
  const k = analysis.topK;
  for (let j = 0; j < k; j++) {
    const id = analysis.topIds[(position - 1) * k + j];
    if (choices.some((c) => c.id === id)) continue;
    choices.push({ id, text: analysis.pieces[id] ?? `#${id}`, prob: finite(analysis.topProbs[(position - 1) * k + j]) });
  }
  return choices;
}

export function buildWhyView(e: ExplainedToken): WhyView {
  const { analysis, baseOffset } = e;
  const at = analysis.attribution;
  if (!at) throw new Error('buildWhyView needs an analysis made with attribution');
  const token = analysis.tokens[at.position];
  const choices = choicesAt(analysis, at.position);
  // The engine's default foil is its best other prediction, among the top ones; a target or foil
  // from elsewhere is still offered, so that the pickers can show it.
  for (const id of [at.target, at.foil]) if (!choices.some((c) => c.id === id)) choices.push({ id, text: analysis.pieces[id] ?? `#${id}`, prob: null });
  const notes = [...at.notes];
  if (baseOffset + analysis.droppedChars > 0)
    notes.push(`The model read the ${at.position} tokens before this one, not the whole document before it (its window is limited).`);
  return {
    id: e.id,
    model: { name: e.modelName },
    document: e.document,
    token: { text: token.text, start: baseOffset + token.start, end: baseOffset + token.end },
    target: at.target,
    foil: at.foil,
    choices,
    measured: at.measured,
    sum: at.sum,
    parts: [...at.parts].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).map((p) => ({ ...p, label: partLabel(p) })),
    sources: analysis.tokens
      .slice(0, at.position)
      .map((t, i) => ({ t, value: at.sources[i] }))
      .filter(({ t }) => !t.special && t.end > t.start)
      .map(({ t, value }) => ({ text: t.text, start: baseOffset + t.start, end: baseOffset + t.end, value })),
    notes,
  };
}
