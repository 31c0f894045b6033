// The heatmap's colours are contributed to VS Code (package.json) with the defaults the code and
// the end-to-end tests know them by: the two must not drift apart.
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json';
import { BUCKET_COLOURS } from '../../src/host/decorations/heatmapColours';

/** '#rrggbbaa' as VS Code writes it in CSS: rgba(r, g, b, alpha to two decimals). */
function cssOf(hex: string): string {
  const [r, g, b, a] = [1, 3, 5, 7].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${+(a / 255).toFixed(2)})`;
}

describe('the heatmap colours', () => {
  const contributed = new Map(packageJson.contributes.colors.map((c) => [c.id, c.defaults]));

  it('are contributed with the light and dark defaults the code names', () => {
    for (const bucket of Object.values(BUCKET_COLOURS)) {
      const defaults = contributed.get(bucket.id);
      expect(defaults, bucket.id).toBeDefined();
      expect(cssOf(defaults!.light)).toBe(bucket.light);
      expect(cssOf(defaults!.dark)).toBe(bucket.dark);
      // High contrast themes get their own, more opaque defaults.
      expect(defaults!.highContrast).toMatch(/^#[0-9a-f]{8}$/);
      expect(defaults!.highContrastLight).toMatch(/^#[0-9a-f]{8}$/);
    }
  });
});
