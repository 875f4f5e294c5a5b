/**
 * Times given to `until=` filters, as docker's timestamp parsing reads them: a Go duration
 * back from now ("10m", "1h30m"), a Unix timestamp ("1700000000", "1700000000.5"), or an
 * RFC 3339 date or time, in the local zone unless it names one ("2024-01-02",
 * "2024-01-02T15:04", "2024-01-02T15:04:05Z", "2024-01-02T15:04:05+01:00").
 */
import { TsctrError } from '../errors.ts';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds; undefined when `s` is not a duration. */
export function parseGoDuration(s: string): number | undefined {
  // Both micro signs, as Go; escaped so that the bundle stays ASCII (src/binary/sea-main.ts).
  const m = /^([-+]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)$/.exec(s);
  if (!m) return s === '0' ? 0 : undefined;
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNIT_MS[part[2]!]!;
  }
  return m[1] === '-' ? -total : total;
}

/** Milliseconds since the epoch that `value` names, relative to `now` for durations. */
export function parseTimestamp(value: string, now = Date.now()): number {
  const d = parseGoDuration(value);
  if (d !== undefined && value !== '0') return now - d;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const zoned = /[zZ+]/.test(value) || (value.match(/-/g) ?? []).length === 3;
  let text = value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00:00';
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}([zZ]|[+-]\d{2}:\d{2})?$/.test(text))
    text = text.replace(/^(.{13})/, '$1:00');
  if (
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([zZ]|[+-]\d{2}:\d{2})?$/.test(text) &&
    (!zoned || /([zZ]|[+-]\d{2}:\d{2})$/.test(text))
  ) {
    const t = Date.parse(text.replace(/z$/, 'Z'));
    if (Number.isFinite(t)) return t;
  }
  throw new TsctrError(`failed to parse value as time or duration: "${value}"`, {
    hint: 'give a duration such as 24h, a Unix timestamp, or a date such as 2024-01-02T15:04:05Z',
  });
}
