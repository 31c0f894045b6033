import type { Frame } from 'playwright-core';

/** The part of a canvas element the page-side function below uses (no DOM library here). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** How many pixels of the matching canvases in a webview are not fully transparent. */
export function paintedPixels(frame: Frame, selector: string): Promise<number> {
  return frame.locator(selector).evaluateAll((canvases: CanvasLike[]) => {
    let painted = 0;
    for (const canvas of canvases) {
      const ctx = canvas.width > 0 && canvas.height > 0 ? canvas.getContext('2d') : null;
      if (!ctx) continue;
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    }
    return painted;
  });
}
