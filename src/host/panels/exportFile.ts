// Saving an export from a panel: a save dialog in the first workspace folder, then the file,
// with what happened said in a notification.
import * as vscode from 'vscode';
import { errorMessage } from '../../engine/errors';
import { showErrorWithLog } from '../log';
import { plainText } from '../text/untrusted';
import type { ExportFormat } from '../../shared/protocol';

/** The bytes of a PNG a webview sent as a data: URL (the parsers checked its prefix). */
export function pngBytes(dataUrl: string): Uint8Array {
  // atob, not Buffer: the web edition (src/web) has no Buffer.
  return Uint8Array.from(atob(dataUrl.slice('data:image/png;base64,'.length)), (c) => c.charCodeAt(0));
}

/** A file name part from a document name or other untrusted text. */
export function fileNamePart(name: string): string {
  return name.replace(/[^\w.-]+/g, '_');
}

/** Asks where to save `content` (suggesting `base`.format) and writes it there. */
export async function saveExport(base: string, format: ExportFormat, content: Uint8Array, title: string): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${base}.${format}`) : undefined,
    filters: { [format.toUpperCase()]: [format] },
    title,
  });
  if (!target) return;
  try {
    await vscode.workspace.fs.writeFile(target, content);
    void vscode.window.showInformationMessage(`Model Lens: exported ${plainText(vscode.workspace.asRelativePath(target))}.`);
  } catch (e) {
    void showErrorWithLog(`Model Lens: could not write ${plainText(target.fsPath)}: ${plainText(errorMessage(e))}`);
  }
}
