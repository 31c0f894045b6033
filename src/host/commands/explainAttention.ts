// Model Lens: Explain Attention — explains the selection (or the current line) with the text
// before it as context, in the attention panel beside the editor. What it says is in VS Code's
// display language (vscode.l10n, l10n/bundle.l10n.<locale>.json).
import * as vscode from 'vscode';
import { readSettings } from '../config';
import type { ModelManager } from '../modelManager';
import type { AttentionPanel, AttentionPanels } from '../panels/attentionPanel';
import { parseExplainArgs, parseRestoredPanel, type ExplainArgs } from '../../shared/protocol';
import { analyseDocument } from './documentAnalysis';
import { openDocument, restoredDocument } from './documents';
import { hookGroups } from '../../shared/hooks';

/** Characters of context read per token of the model's window: generous, the engine keeps the last tokens. */
export const CHARS_PER_TOKEN = 8;

export interface ExplainTarget {
  document: vscode.TextDocument;
  selection: { start: number; end: number };
  focus?: { layer: number; head: number };
}

export type { ExplainArgs } from '../../shared/protocol';

function targetFromEditor(editor: vscode.TextEditor): ExplainTarget {
  const doc = editor.document;
  const range = editor.selection.isEmpty ? doc.lineAt(editor.selection.active.line).range : editor.selection;
  return { document: doc, selection: { start: doc.offsetAt(range.start), end: doc.offsetAt(range.end) } };
}

function targetFromArgs(args: ExplainArgs): ExplainTarget | undefined {
  const editor = vscode.window.activeTextEditor;
  const doc = args.uri !== undefined ? openDocument(args.uri) : editor?.document;
  if (!doc) return undefined;
  const focus = args.layer !== undefined && args.head !== undefined ? { layer: args.layer, head: args.head } : undefined;
  if (args.selection) return { document: doc, selection: args.selection, focus };
  if (args.line !== undefined) {
    const line = doc.lineAt(Math.min(args.line, doc.lineCount - 1)).range;
    return { document: doc, selection: { start: doc.offsetAt(line.start), end: doc.offsetAt(line.end) }, focus };
  }
  const fromEditor = editor && editor.document === doc ? targetFromEditor(editor) : undefined;
  return fromEditor ? { ...fromEditor, focus } : undefined;
}

export class ExplainAttention {
  constructor(
    private readonly models: ModelManager,
    private readonly panels: AttentionPanels,
  ) {}

  async run(raw?: unknown): Promise<void> {
    const args = parseExplainArgs(raw);
    if (!args) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Model Lens: Explain Attention was given arguments it does not understand; nothing was explained.'));
      return;
    }
    if (args.uri !== undefined && !openDocument(args.uri)) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Model Lens: Explain Attention only explains documents open in the editor; the one named is not.'));
      return;
    }
    const fromArgs = args.uri !== undefined || args.line !== undefined || args.selection !== undefined || args.layer !== undefined;
    const target = fromArgs ? targetFromArgs(args) : vscode.window.activeTextEditor && targetFromEditor(vscode.window.activeTextEditor);
    if (!target) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Model Lens: open a file and select some text to explain its attention.'));
      return;
    }
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === target.document);
    await this.explain(this.panels.panelBeside(editor?.viewColumn), target);
  }

  /** Explains a target in a panel; used by the command and to restore panels after a reload. */
  async explain(panel: AttentionPanel, target: ExplainTarget): Promise<void> {
    const doc = target.document;
    if (target.selection.end <= target.selection.start) {
      panel.error(vscode.l10n.t('The selection is empty: select some text (or put the cursor on a non-empty line) and run Explain Attention again.'));
      return;
    }
    const settings = readSettings();
    const words = {
      progress: vscode.l10n.t('Model Lens: explaining attention'),
      keptChanging: vscode.l10n.t('The document kept changing while it was being analysed. Run Explain Attention again.'),
    };
    await analyseDocument(doc, panel, words, async (unchanged) => {
      const info = await this.models.ensureLoaded();
      const baseOffset = Math.max(0, target.selection.start - info.positions * CHARS_PER_TOKEN);
      const text = doc.getText(new vscode.Range(doc.positionAt(baseOffset), doc.positionAt(target.selection.end)));
      panel.loading(vscode.l10n.t('Analysing {0} characters with {1}…', text.length - (target.selection.start - baseOffset), info.name));
      const analysis = await this.models.analyze(text, { hooks: hookGroups.attention, rollout: true, selectionStart: target.selection.start - baseOffset });
      if (!unchanged()) return false;
      panel.show({
        id: this.panels.newId(),
        text,
        analysis,
        info,
        document: { uri: doc.uri.toString(), name: doc.uri.path.split('/').pop() ?? doc.uri.toString() },
        baseOffset,
        selection: target.selection,
        maxTokens: settings.maxTokens,
        focus: target.focus,
      });
      return true;
    });
  }

  /** Restores a panel VS Code brought back after a reload, explaining the same text again. */
  restore = async (panel: AttentionPanel, state: unknown): Promise<void> => {
    const explained = parseRestoredPanel(state);
    const document = explained && (await restoredDocument(explained.uri));
    if (!explained || !document) {
      panel.error(vscode.l10n.t('Select some text and run Model Lens: Explain Attention.'));
      return;
    }
    // A panel pinned before the reload stays out of reuse after it.
    if (explained.pinned) panel.pinned = true;
    await this.explain(panel, { document, selection: explained.selection });
  };
}
