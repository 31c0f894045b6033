// A short animated capture of the workbench: screenshots taken at the steps of a flow, each held
// for as long as a reader needs, written as one looping GIF (for the README's first screen).
import fs from 'node:fs';
import path from 'node:path';
import { applyPalette, GIFEncoder, quantize } from 'gifenc';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { TEST_OUTPUT } from './paths';

/** Frames are halved in each direction: a README image, not a full-resolution screenshot. */
const SCALE = 2;

interface Frame {
  width: number;
  height: number;
  rgba: Uint8Array;
  holdMs: number;
}

/** RGBA pixels shrunk by SCALE, each the mean of the SCALE × SCALE block it covers. */
function shrink(png: PNG): Frame {
  const width = Math.floor(png.width / SCALE);
  const height = Math.floor(png.height / SCALE);
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let dy = 0; dy < SCALE; dy++) for (let dx = 0; dx < SCALE; dx++) sum += png.data[((y * SCALE + dy) * png.width + x * SCALE + dx) * 4 + c];
        rgba[(y * width + x) * 4 + c] = Math.round(sum / (SCALE * SCALE));
      }
    }
  }
  return { width, height, rgba, holdMs: 0 };
}

export class Recording {
  private readonly frames: Frame[] = [];

  constructor(private readonly page: Page) {}

  /** The page as it is now, shown for `holdMs` in the animation. */
  async frame(holdMs: number): Promise<void> {
    const png = PNG.sync.read(await this.page.screenshot({ type: 'png' }));
    this.frames.push({ ...shrink(png), holdMs });
  }

  get length(): number {
    return this.frames.length;
  }

  /** Writes test-output/<name>.gif (each frame with its own palette) and returns its path. */
  save(name: string): string {
    const gif = GIFEncoder();
    for (const f of this.frames) {
      const palette = quantize(f.rgba, 256);
      gif.writeFrame(applyPalette(f.rgba, palette), f.width, f.height, { palette, delay: f.holdMs, repeat: 0 });
    }
    gif.finish();
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    const file = path.join(TEST_OUTPUT, `${name}.gif`);
    fs.writeFileSync(file, gif.bytes());
    return file;
  }
}
