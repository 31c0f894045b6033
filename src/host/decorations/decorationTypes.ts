// The editor decoration types that more than one colouring of the text builds: the token it is
// about, and one level of a scale of backgrounds (a decoration type has one fixed colour).
import * as vscode from 'vscode';

/** The token a colouring is about (the clicked query, the explained token): underlined in the cursor's colour, bold. */
export function markedTokenType(): vscode.TextEditorDecorationType {
  return vscode.window.createTextEditorDecorationType({
    borderColor: new vscode.ThemeColor('editorCursor.foreground'),
    borderStyle: 'solid',
    borderWidth: '0 0 2px 0',
    fontWeight: 'bold',
  });
}

/**
 * A background in `colour` for light and dark themes, with an outline in contrastActiveBorder,
 * which high-contrast themes define: 1px in `outlineStyle` where `outlined`, else none.
 */
export function levelType(colour: { light: string; dark: string }, outlined: boolean, outlineStyle: 'solid' | 'dashed'): vscode.TextEditorDecorationType {
  return vscode.window.createTextEditorDecorationType({
    light: { backgroundColor: colour.light },
    dark: { backgroundColor: colour.dark },
    outlineColor: new vscode.ThemeColor('contrastActiveBorder'),
    outlineWidth: outlined ? '1px' : '0',
    outlineStyle,
  });
}
