/** Text helpers shared by the HTML, Markdown and terminal renderings of a report. */

/** `2026-01-01 10:00:05Z` (UTC, seconds): reports are read in other time zones. */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return '-';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Human durations: `250ms`, `4.2s`, `3m 05s`, `2h 10m`, `3d 4h`. */
export function formatSpan(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** First 12 hex digits of a `sha256:` digest, for tables (the full digest is shown elsewhere). */
export function shortHash(digest: string | undefined): string {
  if (digest === undefined) return '-';
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** `onprem 90 (90%), aws 10 (10%)`. */
export function describeShares(keys: readonly { key: string; name: string }[], weights: Record<string, number>, shares: Record<string, number | null>): string {
  return keys
    .filter((k) => weights[k.key] !== undefined)
    .map((k) => {
      const share = shares[k.key];
      return `${k.name} ${weights[k.key]}${share === null || share === undefined ? '' : ` (${formatPercent(share)})`}`;
    })
    .join(', ');
}

export function formatPercent(share: number): string {
  const rounded = Math.round(share * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)}%`;
}

/** Why a step's definition was not compared with the one it ran with, and the flags that let it be. */
export function notChecked(vars: readonly string[]): string {
  return `definition not checked: ${vars.length === 1 ? 'var' : 'vars'} ${vars.join(', ')} ${vars.length === 1 ? 'has' : 'have'} no value; pass ${vars.map((name) => `--var ${name}=…`).join(' ')}`;
}
