// Drives a real VS Code (code-server in Debian's Chromium) for the end-to-end tests.
export { startVSCode, WEBGPU_ARGS, type Settings, type StartOptions, type VSCode } from './vscode';
export {
  findWebviewFrame,
  openFile,
  openQuickInput,
  readNotifications,
  runCommand,
  screenshot,
  waitForNotification,
} from './workbench';
export {
  activeEditor,
  editorDecorations,
  goToPosition,
  hoverText,
  selectLines,
  selectRange,
  type Decoration,
  type DecorationFilter,
  type HoverOptions,
} from './editor';
export { SAMPLE_WORKSPACE, TEST_OUTPUT, VSIX_PATH } from './paths';
