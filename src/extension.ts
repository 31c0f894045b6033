import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('modelLens.explainAttention', () => {
      void vscode.window.showInformationMessage('Model Lens: Explain Attention is not wired up yet.');
    }),
  );
}

export function deactivate(): void {}
