/** Plain-text output helpers: tables, times and durations as an operator reads them. */

/** Left-aligned columns separated by two spaces; the header is the first row. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Epoch seconds as `2026-11-28 06:00Z`, or `-` when absent. */
export function formatTime(epochSeconds: number | undefined): string {
  if (epochSeconds === undefined) return '-';
  return `${new Date(epochSeconds * 1000).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** A signed distance from now, such as `in 2d 3h`, `5m ago` or `now`. */
export function formatRelative(epochSeconds: number | undefined, nowSeconds: number): string {
  if (epochSeconds === undefined) return '-';
  const delta = epochSeconds - nowSeconds;
  if (Math.abs(delta) < 60) return 'now';
  const text = formatDuration(Math.abs(delta));
  return delta > 0 ? `in ${text}` : `${text} ago`;
}

/** `2d 3h`, `4h 10m` or `7m`: the two largest units. */
export function formatDuration(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  return `${Math.max(minutes, 1)}m`;
}

/** Time and distance together: `2026-11-28 06:00Z (in 3h)`. */
export function formatWhen(epochSeconds: number | undefined, nowSeconds: number): string {
  if (epochSeconds === undefined) return '-';
  return `${formatTime(epochSeconds)} (${formatRelative(epochSeconds, nowSeconds)})`;
}
