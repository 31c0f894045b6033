// The text a command that explains one token reads: the text before the token, as far back as
// the model's window could reach, to the end of the token's line (as the hover's windows end), so
// that later tokens of the line can be picked from the same analysis.
import * as vscode from 'vscode';
import { parseWhyArgs } from '../../shared/protocol';
import { CHARS_PER_TOKEN } from './explainAttention';
import { openDocument } from './documents';

/** Where the line holding `offset` ends, its line break included. */
function nextLineStart(doc: vscode.TextDocument, offset: number): number {
  const line = doc.positionAt(offset).line;
  return line + 1 < doc.lineCount ? doc.offsetAt(new vscode.Position(line + 1, 0)) : doc.offsetAt(doc.lineAt(line).range.end);
}

/** The text around the token at `offset` for a window of `tokens` tokens, and its first character's offset. */
export function tokenWindow(doc: vscode.TextDocument, offset: number, tokens: number): { baseOffset: number; text: string } {
  const baseOffset = Math.max(0, offset - tokens * CHARS_PER_TOKEN);
  return { baseOffset, text: doc.getText(new vscode.Range(doc.positionAt(baseOffset), doc.positionAt(nextLineStart(doc, offset)))) };
}

/**
 * The token a one-token command is about: the one a link names (a document that must be open,
 * and an offset in it), else the one at the cursor. Says what went wrong, in the command's
 * words, and returns undefined when there is none.
 */
export function commandToken(
  raw: unknown,
  command: string,
  noEditor: string,
): { document: vscode.TextDocument; offset: number; column?: vscode.ViewColumn } | undefined {
  const args = parseWhyArgs(raw);
  if (!args) {
    void vscode.window.showWarningMessage(`Model Lens: ${command} was given arguments it does not understand; nothing was done.`);
    return undefined;
  }
  const editor = vscode.window.activeTextEditor;
  // A hover's link names the document it was made for; it must still be open (see openDocument).
  const document = args.uri !== undefined ? openDocument(args.uri) : editor?.document;
  if (!document) {
    void vscode.window.showInformationMessage(
      args.uri !== undefined ? `Model Lens: ${command} only works on documents open in the editor; the one named is not.` : `Model Lens: ${noEditor}`,
    );
    return undefined;
  }
  const offset = args.offset ?? (editor && editor.document === document ? document.offsetAt(editor.selection.active) : undefined);
  if (offset === undefined) return undefined;
  const column = vscode.window.visibleTextEditors.find((e) => e.document === document)?.viewColumn;
  // positionAt clamps an offset past the end (a link made before the document shrank).
  return { document, offset: document.offsetAt(document.positionAt(offset)), column };
}
