// Model Lens: Explain Attention — explains the selection (or the current line) with the text
// before it as context, in the attention panel beside the editor.
import * as vscode from 'vscode';
import { readSettings } from '../config';
import { ModelLensError } from '../engine/errors';
import type { ModelManager } from '../modelManager';
import type { AttentionPanel, AttentionPanels, PanelState } from '../panels/attentionPanel';

/** Characters of context read per token of the model's window: generous, the engine keeps the last tokens. */
const CHARS_PER_TOKEN = 8;

export interface ExplainTarget {
  uri: string;
  selection: { start: number; end: number };
  focus?: { layer: number; head: number };
}

/** Arguments the command accepts from hovers and the side panel (command URIs pass JSON). */
export interface ExplainArgs {
  uri?: string;
  line?: number;
  /** Document offsets of the text to explain (the side panel's selection). */
  selection?: { start: number; end: number };
  layer?: number;
  head?: number;
}

function targetFromEditor(editor: vscode.TextEditor): ExplainTarget {
  const doc = editor.document;
  const range = editor.selection.isEmpty ? doc.lineAt(editor.selection.active.line).range : editor.selection;
  return { uri: doc.uri.toString(), selection: { start: doc.offsetAt(range.start), end: doc.offsetAt(range.end) } };
}

async function targetFromArgs(args: ExplainArgs): Promise<ExplainTarget | undefined> {
  const editor = vscode.window.activeTextEditor;
  const doc = args.uri ? await vscode.workspace.openTextDocument(vscode.Uri.parse(args.uri)) : editor?.document;
  if (!doc) return undefined;
  const focus = args.layer !== undefined && args.head !== undefined ? { layer: args.layer, head: args.head } : undefined;
  if (args.selection) return { uri: doc.uri.toString(), selection: args.selection, focus };
  if (args.line !== undefined) {
    const line = doc.lineAt(Math.min(args.line, doc.lineCount - 1)).range;
    return { uri: doc.uri.toString(), selection: { start: doc.offsetAt(line.start), end: doc.offsetAt(line.end) }, focus };
  }
  const fromEditor = editor && editor.document === doc ? targetFromEditor(editor) : undefined;
  return fromEditor ? { ...fromEditor, focus } : undefined;
}

export class ExplainAttention {
  constructor(
    private readonly models: ModelManager,
    private readonly panels: AttentionPanels,
  ) {}

  async run(args: ExplainArgs = {}): Promise<void> {
    const fromArgs = args.uri !== undefined || args.line !== undefined || args.layer !== undefined;
    const target = fromArgs ? await targetFromArgs(args) : vscode.window.activeTextEditor && targetFromEditor(vscode.window.activeTextEditor);
    if (!target) {
      void vscode.window.showInformationMessage('Model Lens: open a file and select some text to explain its attention.');
      return;
    }
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === target.uri);
    await this.explain(this.panels.panelBeside(editor?.viewColumn), target);
  }

  /** Explains a target in a panel; used by the command and to restore panels after a reload. */
  async explain(panel: AttentionPanel, target: ExplainTarget): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(target.uri));
    if (target.selection.end <= target.selection.start) {
      panel.error('The selection is empty: select some text (or put the cursor on a non-empty line) and run Explain Attention again.');
      return;
    }
    const settings = readSettings();
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Model Lens: explaining attention' }, async () => {
      try {
        // A document edited while it is analysed would get offsets for text it no longer has: analyse again.
        for (let attempt = 0; attempt < 3; attempt++) {
          const version = doc.version;
          const info = await this.models.ensureLoaded();
          const baseOffset = Math.max(0, target.selection.start - info.positions * CHARS_PER_TOKEN);
          const text = doc.getText(new vscode.Range(doc.positionAt(baseOffset), doc.positionAt(target.selection.end)));
          panel.loading(`Analysing ${text.length - (target.selection.start - baseOffset)} characters with ${info.name}…`);
          const analysis = await this.models.analyze(text, { attention: true, rollout: true });
          if (doc.version !== version) continue;
          panel.show({
            id: this.panels.newId(),
            analysis,
            info,
            document: { uri: target.uri, name: doc.uri.path.split('/').pop() ?? doc.uri.toString() },
            baseOffset,
            selection: target.selection,
            maxTokens: settings.maxTokens,
            focus: target.focus,
          });
          return;
        }
        panel.error('The document kept changing while it was being analysed. Run Explain Attention again.');
      } catch (e) {
        const message = e instanceof ModelLensError ? e.userMessage : String(e);
        panel.error(message);
      }
    });
  }

  /** Restores a panel VS Code brought back after a reload, explaining the same text again. */
  restore = async (panel: AttentionPanel, state: PanelState | undefined): Promise<void> => {
    const explained = state?.explained;
    if (!explained) {
      panel.error('Select some text and run Model Lens: Explain Attention.');
      return;
    }
    await this.explain(panel, explained);
  };
}
