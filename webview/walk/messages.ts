// The step-by-step panel's check of what the host sends (see viewMessages.ts).
import type { WalkView } from '../../src/shared/protocol';
import { isObject, isIndex } from '../shared/guards';
import { viewMessageGuard } from '../shared/viewMessages';

export const isToWalkPanel = viewMessageGuard<WalkView>((v) => {
  if (!isObject(v.model) || !isObject(v.document) || !isObject(v.input) || !isObject(v.output)) return false;
  return (
    isIndex(v.id) &&
    Array.isArray(v.tokens) &&
    isIndex(v.position) &&
    v.position < v.tokens.length &&
    Array.isArray(v.blocks) &&
    v.blocks.length === v.model.layers &&
    Array.isArray(v.input.h0) &&
    v.output.logits instanceof ArrayBuffer &&
    Array.isArray(v.output.top) &&
    Array.isArray(v.notes)
  );
});
