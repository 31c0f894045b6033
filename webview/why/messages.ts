// The "Why this token?" panel's check of what the host sends (see viewMessages.ts).
import type { WhyView } from '../../src/shared/protocol';
import { isObject, isIndex } from '../shared/guards';
import { viewMessageGuard } from '../shared/viewMessages';

export const isToWhyPanel = viewMessageGuard<WhyView>(
  (v) =>
    isIndex(v.id) &&
    isIndex(v.target) &&
    isIndex(v.foil) &&
    typeof v.measured === 'number' &&
    typeof v.sum === 'number' &&
    isObject(v.token) &&
    isObject(v.model) &&
    isObject(v.document) &&
    Array.isArray(v.choices) &&
    Array.isArray(v.parts) &&
    Array.isArray(v.sources) &&
    Array.isArray(v.notes),
);
