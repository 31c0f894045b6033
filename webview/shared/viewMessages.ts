// What the host sends a panel that shows one view at a time (patching, "why this token?", step by
// step), checked before it is believed: a malformed message is dropped here rather than breaking
// the panel halfway through drawing.
import type { ToViewPanel } from '../../src/shared/protocol';
import { isObject } from './guards';

/** A check of such a panel's messages; `isView` checks the view a `show` message carries. */
export function viewMessageGuard<View>(isView: (view: Record<string, unknown>) => boolean): (raw: unknown) => raw is ToViewPanel<View> {
  return (raw): raw is ToViewPanel<View> => {
    if (!isObject(raw)) return false;
    switch (raw.type) {
      case 'loading':
        return typeof raw.text === 'string';
      case 'error':
        return typeof raw.message === 'string';
      case 'show':
        return isObject(raw.view) && isView(raw.view);
      default:
        return false;
    }
  };
}
