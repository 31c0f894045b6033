// Model Lens: Compare With Another Text (Activation Patching)… — the selection is the clean text;
// the corrupted one is a second selection (the later one in the file) or typed into an input box
// prefilled with the first.
// The engine's sweep patches each part of the clean run into the corrupted one, in a cancellable
// notification; the panel beside the editor shows the result. After a window reload the panel
// runs the same comparison again, if its document still holds the texts.
import * as vscode from 'vscode';
import { ModelLensError } from '../../engine/errors';
import { patchingSweep, type SweepEngine } from '../../engine/patching';
import type { Analysis, ModelInfo } from '../../engine/types';
import type { ModelManager } from '../modelManager';
import { PatchingPanel } from '../panels/patchingPanel';
import { buildPatchingView, type PatchingTexts } from '../panels/patchingView';
import { besideColumn } from '../panels/singletonPanel';
import { parseRestoredPatching } from '../../shared/protocol';
import { plainText } from '../text/untrusted';
import { documentName, restoredDocument, uriName } from './documents';

/** How a line break shows in the input box, whose single line would drop it. */
const LINE_BREAK = '⏎';

/** A comparison to run: the texts, where they are, and the target and foil when they are known already. */
interface Comparison extends PatchingTexts {
  document: vscode.TextDocument;
  /** Token ids a restored panel compared, with the model they belong to. */
  ids?: { model: string; target: number; foil: number };
}

function offsets(doc: vscode.TextDocument, range: vscode.Range): { start: number; end: number } {
  return { start: doc.offsetAt(range.start), end: doc.offsetAt(range.end) };
}

function textAt(doc: vscode.TextDocument, range: { start: number; end: number }): string {
  return doc.getText(new vscode.Range(doc.positionAt(range.start), doc.positionAt(range.end)));
}

/** The clean and corrupted texts: two selections, or the selection (or line) and what the user types. */
async function chooseTexts(editor: vscode.TextEditor): Promise<PatchingTexts | undefined> {
  const doc = editor.document;
  const uri = doc.uri.toString();
  const chosen = editor.selections.filter((s) => !s.isEmpty).sort((a, b) => a.start.compareTo(b.start));
  if (chosen.length === 2)
    return {
      clean: doc.getText(chosen[0]),
      corrupted: doc.getText(chosen[1]),
      source: { uri, clean: offsets(doc, chosen[0]), corrupted: offsets(doc, chosen[1]) },
    };
  const first = editor.selection;
  const cleanRange = first.isEmpty ? doc.lineAt(first.active.line).range : first;
  const clean = doc.getText(cleanRange);
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
  return typed === undefined ? undefined : { clean, corrupted: typed.split(LINE_BREAK).join(eol), source: { uri, clean: offsets(doc, cleanRange) } };
}

/**
 * The target and foil a restored panel compared, if the model in use is the one that compared them
 * (another model's ids name other tokens, or none) and they are in its vocabulary; otherwise none,
 * and the sweep picks them as a new comparison does.
 */
function restoredIds(ids: Comparison['ids'], info: ModelInfo): { target?: number; foil?: number } {
  if (!ids || ids.model !== info.name || ids.target >= info.vocab || ids.foil >= info.vocab) return {};
  return { target: ids.target, foil: ids.foil };
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
    const panel = this.track(PatchingPanel.create(this.extensionUri, besideColumn(editor.viewColumn), () => this.panels.delete(panel)));
    await this.compare(panel, { ...texts, document: editor.document });
  }

  /**
   * Takes over a panel VS Code restores after a reload and runs its comparison again. The state is
   * whatever the webview saved: `restore` parses it before acting on it.
   */
  serializer(): vscode.WebviewPanelSerializer<unknown> {
    return {
      deserializeWebviewPanel: async (webviewPanel, state) => {
        const panel = this.track(new PatchingPanel(webviewPanel, this.extensionUri, () => this.panels.delete(panel)));
        await this.restore(panel, state);
      },
    };
  }

  private track(panel: PatchingPanel): PatchingPanel {
    this.panels.add(panel);
    return panel;
  }

  /**
   * Runs again the comparison a restored panel had shown, when its document (open, or a file of
   * the workspace) still holds both texts where they were; otherwise says why not in the panel.
   * VS Code shows the panel only once this returns, so the sweep goes on after it.
   */
  private async restore(panel: PatchingPanel, state: unknown): Promise<void> {
    const compared = parseRestoredPatching(state);
    if (!compared) {
      panel.error(
        'This panel had no finished comparison to show again: select the clean text and run Model Lens: Compare With Another Text (Activation Patching)….',
      );
      return;
    }
    const document = await restoredDocument(compared.uri);
    if (!document) {
      panel.error(
        `${uriName(compared.uri)} is not open and not a file of this workspace, so its comparison cannot run again: open it, select the clean text and run Compare With Another Text.`,
      );
      return;
    }
    const corrupted =
      compared.corrupted.start !== undefined && compared.corrupted.end !== undefined
        ? { start: compared.corrupted.start, end: compared.corrupted.end }
        : undefined;
    const moved =
      textAt(document, compared.clean) !== compared.clean.text || (corrupted !== undefined && textAt(document, corrupted) !== compared.corrupted.text);
    if (moved) {
      panel.error(
        `${documentName(document)} changed since these texts were compared: they are no longer where they were. Select them again and run Compare With Another Text.`,
      );
      return;
    }
    const { model, target, foil } = compared;
    void this.compare(panel, {
      document,
      clean: compared.clean.text,
      corrupted: compared.corrupted.text,
      source: { uri: compared.uri, clean: { start: compared.clean.start, end: compared.clean.end }, corrupted },
      ids: { model, target, foil },
    });
  }

  /** The sweep, in a cancellable notification, shown in `panel`. */
  private async compare(panel: PatchingPanel, comparison: Comparison): Promise<void> {
    const name = documentName(comparison.document);
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Model Lens: activation patching', cancellable: true },
      async (progress, cancelled) => {
        // Closing the panel stops the sweep too: nothing would show its result.
        const stop = new vscode.CancellationTokenSource();
        const controller = new AbortController();
        const subscriptions = [
          cancelled.onCancellationRequested(() => stop.cancel()),
          panel.onDidDispose(() => stop.cancel()),
          stop.token.onCancellationRequested(() => controller.abort()),
        ];
        try {
          const info = await this.models.ensureLoaded(stop.token);
          panel.loading(`Running ${plainText(info.name)} on both texts…`);
          // The sweep's two analyses are the clean and corrupted texts themselves.
          const runs: Analysis[] = [];
          const engine: SweepEngine = {
            analyze: async (text, options) => {
              const analysis = await this.models.analyze(text, options, stop.token);
              runs.push(analysis);
              return analysis;
            },
            interventionRuns: (text, patched) => this.models.interventionRuns(text, patched, stop.token),
          };
          const onProgress = (done: number, total: number) => {
            if (done === 2) panel.loading(`Patching ${total - 2} parts of the clean run into the corrupted one…`);
            progress.report({ increment: (100 * (done - reported)) / total, message: `${done} of ${total} runs` });
            reported = done;
          };
          let reported = 0;
          const result = await patchingSweep(
            engine,
            info,
            comparison.clean,
            comparison.corrupted,
            restoredIds(comparison.ids, info),
            controller.signal,
            onProgress,
          );
          panel.show(buildPatchingView(this.nextId++, info.name, result, runs[0], runs[1], comparison), name);
        } catch (e) {
          if (panel.isDisposed) return;
          const message = stop.token.isCancellationRequested ? 'The comparison was cancelled.' : e instanceof ModelLensError ? e.userMessage : String(e);
          panel.error(message);
        } finally {
          subscriptions.forEach((s) => s.dispose());
          stop.dispose();
        }
      },
    );
  }

  dispose(): void {
    for (const panel of this.panels) panel.dispose();
  }
}
