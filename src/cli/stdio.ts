/**
 * The CLI's standard input and output as the commands hand them to the domain, which never
 * touches them itself: `load` reads its archive from stdin, `save` writes one to stdout. Each
 * says whether it is a terminal (docker refuses a tar there) and opens the stream only when it
 * is used.
 */
import type { Readable, Writable } from 'node:stream';
import { isatty } from './terminal.ts';

export interface StdStream<T> {
  terminal(): boolean;
  open(): T;
}

export const stdin = (): StdStream<Readable> => ({
  terminal: () => isatty(0),
  open: () => process.stdin,
});

export const stdout = (): StdStream<Writable> => ({
  terminal: () => isatty(1),
  open: () => process.stdout,
});
