// The "Model Lens" log (Output view): the backend chosen and why, model loads and their times,
// engine worker restarts and errors. Created once, in activate; the text analysed is never logged.
import * as vscode from 'vscode';

export const SHOW_LOG_COMMAND = 'modelLens.showLog';
/** The button on error notifications that opens the log. */
export const SHOW_LOG = 'Show Log';

let channel: vscode.LogOutputChannel | undefined;

/** Creates the log channel; the extension's notifications write to this one from then on. */
export function createLog(): vscode.LogOutputChannel {
  channel = vscode.window.createOutputChannel('Model Lens', { log: true });
  const created = channel;
  created.info(`Model Lens started in VS Code ${vscode.version}.`);
  return created;
}

/** Opens the log in the Output view. */
export function showLog(): void {
  channel?.show(true);
}

/**
 * Shows an error notification with a "Show Log" button after `items`, and logs its text.
 * Resolves with the button among `items` that was chosen; "Show Log" opens the log instead.
 */
export async function showErrorWithLog(message: string, ...items: string[]): Promise<string | undefined> {
  // The channel already says whose log it is.
  channel?.error(message.replace(/^Model Lens: /, ''));
  const choice = await vscode.window.showErrorMessage(message, ...items, SHOW_LOG);
  if (choice !== SHOW_LOG) return choice;
  await vscode.commands.executeCommand(SHOW_LOG_COMMAND);
  return undefined;
}
