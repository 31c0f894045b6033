// How the benchmark's reports write times, sizes and ratios.

export const ms = (x: number) =>
  !Number.isFinite(x)
    ? '—'
    : x >= 10_000
      ? `${(x / 1000).toFixed(1)} s`
      : x >= 1000
        ? `${(x / 1000).toFixed(2)} s`
        : x >= 10
          ? `${x.toFixed(0)} ms`
          : `${x.toFixed(2)} ms`;
export const mb = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(bytes >= 1e8 ? 0 : 1)} MB`);
export const times = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
