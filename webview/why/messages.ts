// What the host sends, checked before it is believed: a malformed message is dropped here
// rather than breaking the panel halfway through drawing.
import type { ToWhyPanel } from '../../src/shared/protocol';
import { isObject, isIndex } from '../shared/guards';

export function isToWhyPanel(raw: unknown): raw is ToWhyPanel {
  if (!isObject(raw)) return false;
  switch (raw.type) {
    case 'loading':
      return typeof raw.text === 'string';
    case 'error':
      return typeof raw.message === 'string';
    case 'show': {
      const v = raw.view;
      return (
        isObject(v) &&
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
        Array.isArray(v.notes)
      );
    }
    default:
      return false;
  }
}
