// What the host sends, checked before it is believed: a malformed message is dropped here
// rather than breaking the panel halfway through drawing.
import type { ToWalkPanel } from '../../src/shared/protocol';
import { isObject, isIndex } from '../shared/guards';

export function isToWalkPanel(raw: unknown): raw is ToWalkPanel {
  if (!isObject(raw)) return false;
  switch (raw.type) {
    case 'loading':
      return typeof raw.text === 'string';
    case 'error':
      return typeof raw.message === 'string';
    case 'show': {
      const v = raw.view;
      if (!isObject(v) || !isObject(v.model) || !isObject(v.document) || !isObject(v.input) || !isObject(v.output)) return false;
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
    }
    default:
      return false;
  }
}
