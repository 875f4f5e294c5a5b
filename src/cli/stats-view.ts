/**
 * How `stats` prints a frame: docker's fields and columns (cli/command/container/
 * formatter_stats.go) and, while streaming, docker's redraw: the cursor home, each line
 * followed by erase-to-end-of-line, and erase-below after the last, so a frame overwrites the
 * one before without a flicker of a cleared screen.
 */
import { binarySize, humanSize, renderList } from '../format/index.ts';
import { formatFloat } from '../format/template/floatfmt.ts';
import type { StatsEntry } from '../runtime/stats/index.ts';

export const STATS_DEFAULT_FORMAT =
  'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

const headers = {
  Container: 'CONTAINER',
  Name: 'NAME',
  ID: 'CONTAINER ID',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

// Go's %.2f: an exact tie rounds to even (0.125 → "0.12"), where toFixed rounds it up.
const percent = (v: number) => `${formatFloat(v, 'f', 2)}%`;

/** docker's statsContext: the strings a template sees. */
export function statsRow(e: StatsEntry, noTrunc: boolean) {
  return {
    Container: e.container,
    Name: e.name || '--',
    ID: noTrunc ? e.id : e.id.slice(0, 12),
    CPUPerc: percent(e.cpuPercent),
    MemUsage: `${binarySize(e.memory)} / ${binarySize(e.memoryLimit)}`,
    MemPerc: percent(e.memoryPercent),
    NetIO: `${humanSize(e.netRx)} / ${humanSize(e.netTx)}`,
    BlockIO: `${humanSize(e.blockRead)} / ${humanSize(e.blockWrite)}`,
    PIDs: String(e.pids),
  };
}

export function renderStats(
  entries: readonly StatsEntry[],
  format: string | undefined,
  noTrunc: boolean,
): string {
  return renderList(
    entries.map((e) => statsRow(e, noTrunc)),
    { format, defaultFormat: STATS_DEFAULT_FORMAT, headers },
  );
}

/** A streaming frame: drawn over the previous one in place. */
export function redraw(text: string): string {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return `\x1b[H${lines.map((l) => `${l}\x1b[K\n`).join('')}\x1b[J`;
}
