/**
 * Human-readable sizes and durations exactly as docker prints them (github.com/docker/go-units),
 * for the SIZE, CREATED and STATUS columns.
 */

import { formatFloat } from './template/floatfmt.ts';

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/**
 * units.HumanSizeWithPrecision: decimal units, `precision` significant digits, no space:
 * 4260000 → "4.26MB", 1000 → "1kB". Docker's ps and images use precision 3, system df 4.
 */
export function humanSize(bytes: number, precision = 3): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  // Go's %.*g, which for 999999 bytes gives "1e+03kB" as docker does.
  return `${formatFloat(size, 'g', precision)}${DECIMAL_UNITS[unit]}`;
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/**
 * units.BytesSize: binary units, four significant digits: 1572864 → "1.5MiB", as docker's
 * stats prints memory.
 */
export function binarySize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < BINARY_UNITS.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${formatFloat(size, 'g', 4)}${BINARY_UNITS[unit]}`;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * units.HumanDuration: "Less than a second", "1 second", "45 seconds", "About a minute",
 * "3 minutes", "About an hour", "5 hours", "3 days", "2 weeks", "4 months", "2 years".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / HOUR + 0.5); // rounded, unlike the units below an hour
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / HOUR) / 24 / 365)} years`;
}

/** How long ago a moment was, as docker's CREATED column: "2 minutes ago". */
export function since(date: Date | number | string, now: number = Date.now()): string {
  return `${humanDuration(now - new Date(date).getTime())} ago`;
}

/**
 * A time as Go's time.String() prints it, which docker's CreatedAt columns (ps, images) use:
 * "2006-01-02 15:04:05 +0000 UTC". In UTC: docker's is in the local zone.
 */
export function goTimeString(date: Date | number | string): string {
  const d = new Date(date);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}
