// The classic head types that src/engine/headScores.ts measures, as the webviews name them: the
// attention panel's badges and score lines, and the side panel's head table.
import type { HeadScores } from '../../src/shared/headScores';
import { formatScore } from './format';

export const HEAD_TYPES: readonly { key: keyof HeadScores; name: string; badge: string }[] = [
  { key: 'previousToken', name: 'previous-token', badge: 'prev' },
  { key: 'firstToken', name: 'first-token (sink)', badge: 'sink' },
  { key: 'self', name: 'self', badge: 'self' },
  { key: 'induction', name: 'induction', badge: 'ind' },
];

/** A head whose score of a type reaches this is badged with it (model view) or bold (head table). */
export const BADGE_THRESHOLD = 0.4;

/** [type name, score] pairs, "n/a" where a score could not be measured. */
export function scoreEntries(scores: HeadScores): [string, string][] {
  return HEAD_TYPES.map((t) => [t.name, formatScore(scores[t.key])]);
}

/** Badges a head earns. */
export function badges(scores: HeadScores | undefined): string[] {
  if (!scores) return [];
  return HEAD_TYPES.filter((t) => Number.isFinite(scores[t.key]) && scores[t.key] >= BADGE_THRESHOLD).map((t) => t.badge);
}
