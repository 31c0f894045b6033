// Finding the documents commands and restored panels name: by URI among the open ones, or a
// file of the workspace after a reload, and the name a panel shows for one.
import * as vscode from 'vscode';

/** The name a panel shows for a document: its file name. */
export function documentName(doc: vscode.TextDocument): string {
  return doc.uri.path.split('/').pop() ?? doc.uri.toString();
}

/** The file name in a document's URI string, for a document that is not open. */
export function uriName(uri: string): string {
  try {
    return vscode.Uri.parse(uri, true).path.split('/').pop() || uri;
  } catch {
    return uri;
  }
}

/**
 * The open document a URI names. Arguments come from command links, which any Markdown shown
 * with this command enabled could hold: they may point at a document the user has open (the one
 * a hover was made for, the side panel's), never make the extension open and read another file.
 */
export function openDocument(uri: string): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
}

/**
 * The document a restored panel names: one that is open, or a file of the workspace (after a
 * reload the panel may come back before its editor does). Anything else is not opened.
 */
export async function restoredDocument(uri: string): Promise<vscode.TextDocument | undefined> {
  const open = openDocument(uri);
  if (open) return open;
  let parsed: vscode.Uri;
  try {
    parsed = vscode.Uri.parse(uri, true);
  } catch {
    return undefined;
  }
  if (!vscode.workspace.getWorkspaceFolder(parsed)) return undefined;
  return vscode.workspace.openTextDocument(parsed).then(
    (doc) => doc,
    () => undefined,
  );
}

/**
 * Where a restored panel's state (parsed: undefined when it names nothing well-formed) says its
 * token was, with the document it names (see restoredDocument); the offset clamped to the document
 * as it is now. Undefined when it names none or its document is not there.
 */
export async function restoredAt<T extends { uri: string; offset: number }>(
  named: T | undefined,
): Promise<(T & { document: vscode.TextDocument }) | undefined> {
  const document = named && (await restoredDocument(named.uri));
  // positionAt clamps an offset past the end (the document shrank since).
  return document && { ...named, document, offset: document.offsetAt(document.positionAt(named.offset)) };
}
