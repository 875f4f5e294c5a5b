/**
 * Go's text/tabwriter as docker configures it for tables (`tabwriter.NewWriter(out, 10, 1, 3,
 * ' ', 0)` in cli/command/formatter), measuring cells in terminal columns as docker's fork does.
 *
 * Semantics worth knowing: a tab terminates a cell; the text after a line's last tab is not
 * part of any column and is never padded; a column is a run of consecutive lines that all have
 * a cell in it, so alignment restarts where a line has fewer cells; a line without any tab
 * ends every column above it.
 */

import { displayWidth } from './text-width.ts';

interface Cell {
  text: string;
  width: number;
}

export interface TabWriterOptions {
  /** Minimum width of a column, padding included. */
  minWidth: number;
  /** Spaces added to the widest cell of a column. */
  padding: number;
}

/** Docker's table settings. */
export const dockerTable: TabWriterOptions = { minWidth: 10, padding: 3 };

export class TabWriter {
  private readonly minWidth: number;
  private readonly padding: number;
  private lines: Cell[][] = [[]];
  /** Text of the cell being written, not yet terminated. */
  private cell = '';
  /** Widths of the enclosing columns while formatting. */
  private widths: number[] = [];
  private out: string[] = [];

  constructor(options: TabWriterOptions = dockerTable) {
    this.minWidth = options.minWidth;
    this.padding = options.padding;
  }

  write(text: string): void {
    // The next of each terminator, found by indexOf rather than a look at every character.
    const pos = [text.indexOf('\t'), text.indexOf('\v'), text.indexOf('\n'), text.indexOf('\f')];
    const terminators = '\t\v\n\f';
    let start = 0;
    for (;;) {
      let k = -1;
      for (let j = 0; j < 4; j++) if (pos[j]! >= 0 && (k < 0 || pos[j]! < pos[k]!)) k = j;
      if (k < 0) break;
      const i = pos[k]!;
      const c = terminators[k];
      this.cell += text.slice(start, i);
      start = i + 1;
      pos[k] = text.indexOf(c!, start);
      const ncells = this.terminateCell();
      if (c === '\n' || c === '\f') {
        this.lines.push([]);
        // A line of a single cell cannot continue a column: what came before can be laid out.
        if (c === '\f' || ncells === 1) this.layOut();
      }
    }
    this.cell += text.slice(start);
  }

  /** Lays out everything written so far and returns the text. */
  flush(): string {
    if (this.cell.length > 0) this.terminateCell();
    this.layOut();
    const text = this.out.join('');
    this.out = [];
    return text;
  }

  private terminateCell(): number {
    const line = this.lines[this.lines.length - 1]!;
    line.push({ text: this.cell, width: displayWidth(this.cell) });
    this.cell = '';
    return line.length;
  }

  private layOut(): void {
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.cell = '';
    this.widths = [];
  }

  /** Formats lines [line0, line1), sizing the column at depth widths.length block by block. */
  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= this.lines[t]!.length - 1) continue;
      // A block of lines with a cell in this column starts here.
      this.writeLines(line0, t);
      line0 = t;
      let width = this.minWidth;
      for (; t < line1; t++) {
        const line = this.lines[t]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + this.padding);
      }
      this.widths.push(width);
      this.format(line0, t);
      this.widths.pop();
      line0 = t;
    }
    this.writeLines(line0, line1);
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      this.lines[i]!.forEach((c, j) => {
        this.out.push(c.text);
        const cellWidth = this.widths[j];
        if (cellWidth !== undefined) this.out.push(' '.repeat(cellWidth - c.width));
      });
      // The last line is the unterminated one; it gets no newline.
      this.out.push(i + 1 === this.lines.length ? this.cell : '\n');
    }
  }
}
