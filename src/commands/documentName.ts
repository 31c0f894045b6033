import type * as vscode from 'vscode';

/** The name a panel shows for a document: its file name. */
export function documentName(doc: vscode.TextDocument): string {
  return doc.uri.path.split('/').pop() ?? doc.uri.toString();
}
