// Drives a real VS Code (code-server in Debian's Chromium) for the end-to-end tests.
export { startVSCode, WEBGPU_ARGS, type StartOptions, type VSCode } from './vscode';
export { useVSCode, useVSCodeEachTest, type SessionOptions, type VSCodeSession } from './session';
export type { Settings } from './settings';
export {
  findWebviewFrame,
  openFile,
  openQuickInput,
  readNotifications,
  runCommand,
  screenshot,
  waitForActiveEditor,
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
export { paintedPixels } from './canvas';
export { modelHover } from './modelHover';
export { explainLines } from './explainLines';
export { writeBrokenModel } from './brokenModel';
export { showWalkBlock } from './walk';
export { sidePanelModel } from './sidePanel';
export { heatmapDecorations, isHeatmapColour } from './heatmap';
export { Recording } from './recording';
