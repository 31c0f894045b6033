// Model Lens: Compare Backend with WebAssembly — runs the selection on the backend in use and on
// WebAssembly and says how far apart the numbers are (attention, probabilities, logits).
import * as vscode from 'vscode';
import { errorMessage } from '../../engine/errors';
import { showErrorWithLog } from '../log';
import { backendName } from '../logLines';
import type { ModelManager } from '../modelManager';
import { plainText } from '../text/untrusted';
import { describeDifferences, differences } from './backendComparison';
import { hookGroups } from '../../shared/hooks';

export async function compareBackends(models: ModelManager): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Model Lens: open a file and select the text to compare the backends on.');
    return;
  }
  const doc = editor.document;
  const text = doc.getText(editor.selection.isEmpty ? doc.lineAt(editor.selection.active.line).range : editor.selection);
  try {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Model Lens: comparing backends…' }, () =>
      models.analyzeOnBothBackends(text, { hooks: hookGroups.attention, logits: true }),
    );
    void vscode.window.showInformationMessage(`Model Lens: ${describeDifferences(backendName(result.backend), differences(result.current, result.reference))}`);
  } catch (e) {
    void showErrorWithLog(`Model Lens: the comparison failed: ${plainText(errorMessage(e))}`);
  }
}
