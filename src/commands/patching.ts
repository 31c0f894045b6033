// Model Lens: Compare With Another Text (Activation Patching)… — the selection is the clean text;
// the corrupted one is a second selection (the later one in the file) or typed into an input box
// prefilled with the first.
// The engine's sweep patches each part of the clean run into the corrupted one, in a cancellable
// notification; the panel beside the editor shows the result.
import * as vscode from 'vscode';
import { ModelLensError } from '../engine/errors';
import { patchingSweep, type Analyze } from '../engine/patching';
import type { Analysis, ModelInfo } from '../engine/types';
import type { ModelManager } from '../modelManager';
import { PatchingPanel } from '../panels/patchingPanel';
import { buildPatchingView } from '../panels/patchingView';
import { hooks } from '../shared/hooks';
import { plainText } from '../text/untrusted';

/** How a line break shows in the input box, whose single line would drop it. */
const LINE_BREAK = '⏎';

/** The clean and corrupted texts: two selections, or the selection (or line) and what the user types. */
async function chooseTexts(editor: vscode.TextEditor): Promise<{ clean: string; corrupted: string } | undefined> {
  const doc = editor.document;
  const chosen = editor.selections.filter((s) => !s.isEmpty).sort((a, b) => a.start.compareTo(b.start));
  if (chosen.length === 2) return { clean: doc.getText(chosen[0]), corrupted: doc.getText(chosen[1]) };
  const first = editor.selection;
  const clean = doc.getText(first.isEmpty ? doc.lineAt(first.active.line).range : first);
  if (!clean.trim()) {
    void vscode.window.showInformationMessage('Model Lens: select the clean text (or put the cursor on a non-empty line), then run Compare With Another Text.');
    return undefined;
  }
  const eol = doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  const shown = clean.replace(/\r?\n/g, LINE_BREAK);
  const typed = await vscode.window.showInputBox({
    title: 'Model Lens: Compare With Another Text (Activation Patching)',
    prompt: `The selection is the clean text. Edit it into the corrupted one with as many tokens, e.g. another name for a name${shown === clean ? '' : ` (${LINE_BREAK} is a line break)`}. Or select both texts: the later one is then the corrupted one.`,
    value: shown,
    ignoreFocusOut: true,
    validateInput: (v) => (v === shown ? 'Change something: the corrupted text is still the clean one.' : v.trim() ? undefined : 'Type the corrupted text.'),
  });
  return typed === undefined ? undefined : { clean, corrupted: typed.split(LINE_BREAK).join(eol) };
}

/** How many forward passes a sweep over `positions` tokens makes, for the progress bar. */
function sweepRuns(info: ModelInfo, positions: number): number {
  const streams = [...Array.from({ length: info.layers }, (_, L) => hooks.residPre(L)), hooks.residPost(info.layers - 1)].filter((h) => info.interventionHooks.includes(h)).length;
  const headLayers = Array.from({ length: info.layers }, (_, L) => hooks.attn(L, 'z')).filter((h) => info.interventionHooks.includes(h)).length;
  return 2 + streams * positions + headLayers * info.heads;
}

export class ComparePatching implements vscode.Disposable {
  private readonly panels = new Set<PatchingPanel>();
  private nextId = 1;

  constructor(
    private readonly models: ModelManager,
    private readonly extensionUri: vscode.Uri,
  ) {}

  async run(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Model Lens: select the clean text in an editor, then run Compare With Another Text.');
      return;
    }
    const texts = await chooseTexts(editor);
    if (!texts) return;
    const column = editor.viewColumn === undefined ? vscode.ViewColumn.Beside : editor.viewColumn + 1;
    const panel = new PatchingPanel(this.extensionUri, column, () => this.panels.delete(panel));
    this.panels.add(panel);
    const name = editor.document.uri.path.split('/').pop() ?? 'selection';
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Model Lens: activation patching', cancellable: true }, async (progress, cancelled) => {
      // Closing the panel stops the sweep too: nothing would show its result.
      const stop = new vscode.CancellationTokenSource();
      const controller = new AbortController();
      const subscriptions = [cancelled.onCancellationRequested(() => stop.cancel()), panel.onDidDispose(() => stop.cancel()), stop.token.onCancellationRequested(() => controller.abort())];
      try {
        const info = await this.models.ensureLoaded(stop.token);
        panel.loading(`Running ${plainText(info.name)} on both texts…`);
        const runs: Analysis[] = [];
        let done = 0;
        let total = 0;
        const analyze: Analyze = async (text, options) => {
          const analysis = await this.models.analyze(text, options, stop.token);
          // The sweep's first two runs are the clean and corrupted texts themselves.
          if (!options.interventions) runs.push(analysis);
          if (!total) total = sweepRuns(info, analysis.tokens.length);
          done++;
          progress.report({ increment: 100 / total, message: `${done} of ${total} runs` });
          if (done === 2) panel.loading(`Patching ${total - 2} parts of the clean run into the corrupted one…`);
          return analysis;
        };
        const result = await patchingSweep(analyze, info, texts.clean, texts.corrupted, {}, controller.signal);
        panel.show(buildPatchingView(this.nextId++, info.name, result, runs[0], runs[1], texts), name);
      } catch (e) {
        if (panel.isDisposed) return;
        const message = stop.token.isCancellationRequested ? 'The comparison was cancelled.' : e instanceof ModelLensError ? e.userMessage : String(e);
        panel.error(message);
      } finally {
        subscriptions.forEach((s) => s.dispose());
        stop.dispose();
      }
    });
  }

  dispose(): void {
    for (const panel of this.panels) panel.dispose();
  }
}
