// Geometry of the parts' bar chart: a track with zero in the middle, each bar growing right
// (toward the target) or left (toward the foil) in proportion to the largest part. No DOM here,
// so the unit tests run it in Node.

/** Where a bar sits on its track, in percent of the track's width. */
export interface BarGeometry {
  left: number;
  width: number;
}

export function barGeometry(value: number, largest: number): BarGeometry {
  if (!(largest > 0) || !Number.isFinite(value)) return { left: 50, width: 0 };
  const half = Math.min(1, Math.abs(value) / largest) * 50;
  return value >= 0 ? { left: 50, width: half } : { left: 50 - half, width: half };
}

/** The largest absolute value: the scale of the chart and of the legend. */
export function largestMagnitude(values: Iterable<number>): number {
  let m = 0;
  for (const v of values) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
}
