// How the commands that explain part of a document run the model on it: in the window's progress,
// again when the document is edited meanwhile (the analysis would give offsets into text it no
// longer has), and what goes wrong said in the command's panel.
import * as vscode from 'vscode';
import { ModelLensError } from '../../engine/errors';

/**
 * Runs `attempt` on `doc` in the window's progress, titled `words.progress`. `attempt` returns
 * true once it has shown its result (or why there is none); false when `unchanged()` said the
 * document changed since it started, and it runs again: three times at most, then the panel says
 * `words.keptChanging`. What it throws is shown in the panel too.
 */
export async function analyseDocument(
  doc: vscode.TextDocument,
  panel: { error(message: string): void },
  words: { progress: string; keptChanging: string },
  attempt: (unchanged: () => boolean) => Promise<boolean>,
): Promise<void> {
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: words.progress }, async () => {
    try {
      for (let tries = 0; tries < 3; tries++) {
        const version = doc.version;
        if (await attempt(() => doc.version === version)) return;
      }
      panel.error(words.keptChanging);
    } catch (e) {
      panel.error(e instanceof ModelLensError ? e.userMessage : String(e));
    }
  });
}
