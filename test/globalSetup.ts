// The engine's worker runs from the bundle, so tests that start it need a fresh build.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export default function setup(): void {
  execFileSync(process.execPath, [path.join(__dirname, '..', 'esbuild.js'), '--quiet'], { stdio: 'inherit' });
}
