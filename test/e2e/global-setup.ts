import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { CHROMIUM, CODE_SERVER_STAMP, REPO_ROOT, VSIX_PATH } from './harness/paths';

/** Checks the machine once and packages the extension that every e2e test installs. */
export default function setup(): void {
  if (!fs.existsSync(CODE_SERVER_STAMP) || !fs.existsSync(CHROMIUM)) {
    throw new Error('code-server or Chromium is not installed: run `npm run setup` first');
  }
  const started = Date.now();
  try {
    execFileSync('npm', ['run', 'package'], { cwd: REPO_ROOT, stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`\`npm run package\` failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
  if (!fs.existsSync(VSIX_PATH)) throw new Error(`\`npm run package\` did not produce ${VSIX_PATH}`);
  console.log(`packaged ${VSIX_PATH} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
