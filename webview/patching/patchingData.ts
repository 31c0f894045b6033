// Pure parts of the patching panel: row and column labels, the colour scale and the state it keeps
// for a window reload. No DOM here, so the unit tests run it in Node.
import type { PatchingPanelState, PatchingView } from '../../src/shared/protocol';
import { parseHook } from '../../src/shared/hooks';
import { divergingScale, type ScaleSpec } from '../shared/colorScale';
import { tokenLabel } from '../shared/format';

/** A residual-stream row: "in L3" for a block's input, "out L3" for its output. */
export function streamLabel(hook: string): string {
  const parsed = parseHook(hook);
  if (!parsed) return hook;
  return `${parsed.kind === 'resid_post' ? 'out' : 'in'} L${parsed.layer}`;
}

/** A position's column label: the clean token, and the corrupted one where they differ. */
export function positionLabel(clean: string | undefined, corrupted: string | undefined): string {
  const a = tokenLabel(clean ?? '');
  const b = tokenLabel(corrupted ?? '');
  return a === b ? a : `${a}→${b}`;
}

/**
 * The diverging scale both grids share: symmetric around 0 (patching changed nothing) and wide
 * enough for 1 (the clean run's difference restored), or more where a patch overshoots.
 */
export function patchingScale(...grids: ArrayLike<number>[]): ScaleSpec {
  return divergingScale(
    grids.flatMap((g) => Array.from(g)),
    1,
  );
}

/**
 * What the panel keeps (vscode.setState) for the host to run the comparison again after a window
 * reload: where the texts are in their document and what they were, the model, target and foil.
 */
export function patchingState(view: PatchingView): PatchingPanelState {
  const { uri, clean, corrupted } = view.source;
  return {
    compared: {
      uri,
      clean: { start: clean.start, end: clean.end, text: view.clean.text },
      corrupted: corrupted ? { start: corrupted.start, end: corrupted.end, text: view.corrupted.text } : { text: view.corrupted.text },
      model: view.model,
      target: view.target.id,
      foil: view.foil.id,
    },
  };
}
