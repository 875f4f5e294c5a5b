/**
 * A push parser for tar streams (image layers, and the archives of save/load): ustar, GNU (long
 * names, base-256 numbers) and pax (per-entry and global records), read as Go's archive/tar
 * reads them, since Go wrote nearly every layer in existence. It does no I/O and allocates
 * nothing per byte of file data: entry data is handed on as slices of the chunks pushed in.
 *
 * Why not node-tar's Parser: it makes a stream per entry, and for a layer of 60,000 small files
 * that machinery cost 2 s of CPU on the main thread, more than decompressing and hashing the
 * whole layer (see bench/pull.ts).
 */
import { TsctrError } from '../errors.ts';

export type EntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo' | 'char' | 'block';

export interface TarEntry {
  kind: EntryKind;
  /** As stored (pax or GNU long name applied), not normalised. */
  path: string;
  linkpath: string;
  mode: number;
  uid: number;
  gid: number;
  mtimeSec: number;
  mtimeNsec: number;
  /** Bytes of data that follow (regular files only; 0 for every other kind). */
  size: number;
}

export interface TarSink {
  /** One entry; return true to receive its data through `data`, false to have it skipped. */
  entry(e: TarEntry): boolean;
  /** The next slice of the current entry's data; valid for as long as the caller keeps it. */
  data(chunk: Buffer): void;
}

const BLOCK = 512;
/** Limit for pax records and GNU long names, which are held in memory (Go: 1 MiB). */
const MAX_META = 1 << 20;

const State = {
  Header: 0,
  Data: 1,
  Meta: 2,
  Skip: 3,
  Padding: 4,
  /** After one zero block: a second one (or the end) ends the archive. */
  Zero: 5,
  Done: 6,
} as const;
type State = (typeof State)[keyof typeof State];

/** Metadata records that apply to the next entry (pax 'x', GNU 'L'/'K'). */
interface Pending {
  pax?: Map<string, string>;
  longName?: string;
  longLink?: string;
}

export class TarReader {
  private state: State = State.Header;
  private readonly head = Buffer.alloc(BLOCK);
  private headFill = 0;
  /** Data bytes left in the current entry, then its padding. */
  private left = 0;
  private padding = 0;
  private meta: Buffer[] = [];
  private metaType = 0;
  private pending: Pending = {};
  private global = new Map<string, string>();
  private entries = 0;

  /** Parses `chunk`, calling `sink` for each entry and data slice; throws on malformed input. */
  push(chunk: Buffer, sink: TarSink): void {
    let off = 0;
    const n = chunk.length;
    while (off < n) {
      switch (this.state) {
        case State.Header:
        case State.Zero: {
          if (this.headFill === 0 && n - off >= BLOCK) {
            this.header(chunk.subarray(off, off + BLOCK), sink);
            off += BLOCK;
          } else {
            const take = Math.min(BLOCK - this.headFill, n - off);
            chunk.copy(this.head, this.headFill, off, off + take);
            this.headFill += take;
            off += take;
            if (this.headFill === BLOCK) {
              this.headFill = 0;
              this.header(this.head, sink);
            }
          }
          break;
        }
        case State.Data: {
          const take = Math.min(this.left, n - off);
          sink.data(chunk.subarray(off, off + take));
          off += take;
          this.left -= take;
          if (this.left === 0) this.state = State.Padding;
          break;
        }
        case State.Meta: {
          const take = Math.min(this.left, n - off);
          this.meta.push(chunk.subarray(off, off + take));
          off += take;
          this.left -= take;
          if (this.left === 0) {
            this.metaDone();
            this.state = State.Padding;
          }
          break;
        }
        case State.Skip: {
          const take = Math.min(this.left, n - off);
          off += take;
          this.left -= take;
          if (this.left === 0) this.state = State.Padding;
          break;
        }
        case State.Padding: {
          const take = Math.min(this.padding, n - off);
          off += take;
          this.padding -= take;
          break;
        }
        case State.Done:
          // Whatever follows the end-of-archive blocks (usually zeros a writer padded with) is
          // not part of the archive; it is still hashed by the caller, as docker does.
          return;
      }
      if (this.state === State.Padding && this.padding === 0) this.state = State.Header;
    }
  }

  /** The stream ended: throws unless it ended between entries. */
  end(): void {
    if (this.state === State.Done || this.state === State.Zero) return;
    if (this.state === State.Header && this.headFill === 0 && !this.pendingMeta()) {
      // Go accepts an archive without its end-of-archive blocks; so do we (the layer's diff_id
      // still has to match, which a cut-short stream would not).
      return;
    }
    throw corrupt('the layer ends in the middle of an entry (truncated)');
  }

  private pendingMeta(): boolean {
    const p = this.pending;
    return p.pax !== undefined || p.longName !== undefined || p.longLink !== undefined;
  }

  private header(b: Buffer, sink: TarSink): void {
    if (isZero(b)) {
      if (this.state === State.Zero) this.state = State.Done;
      else this.state = State.Zero;
      return;
    }
    if (this.state === State.Zero) throw corrupt('a header follows an end-of-archive block');
    if (!checksumOk(b)) throw corrupt(`invalid tar header checksum (entry ${this.entries + 1})`);
    this.entries++;
    const type = b[156]!;
    const size = num(b, 124, 12, 'size');
    // Metadata for the next entry, kept in memory.
    if (
      type === 0x78 /* x */ ||
      type === 0x67 /* g */ ||
      type === 0x4c /* L */ ||
      type === 0x4b /* K */
    ) {
      if (size > MAX_META) throw corrupt(`a tar metadata record of ${size} bytes is too large`);
      this.metaType = type;
      this.meta = [];
      this.left = size;
      this.padding = pad(size);
      if (size === 0) {
        this.metaDone();
        this.state = State.Padding;
      } else this.state = State.Meta;
      return;
    }
    const { entry, bytes } = this.entry(b, type, size);
    this.pending = {};
    const want = entry !== undefined && sink.entry(entry) && entry.size > 0;
    this.left = bytes;
    this.padding = pad(bytes);
    this.state = bytes === 0 ? State.Padding : want ? State.Data : State.Skip;
  }

  /**
   * The entry of header `b` (undefined for a kind a layer has no use for) and how many bytes of
   * data follow it in the archive.
   */
  private entry(
    b: Buffer,
    type: number,
    size: number,
  ): { entry: TarEntry | undefined; bytes: number } {
    const ustar = b.readUInt32BE(257) === 0x75737461 /* usta */ && b[261] === 0x72; /* r */
    // POSIX ustar ("ustar\0" "00") splits long names into prefix + name; GNU ("ustar  \0")
    // keeps other fields there.
    const posix = ustar && b[262] === 0;
    let path = str(b, 0, 100);
    if (posix && b[345] !== 0) path = `${str(b, 345, 155)}/${path}`;
    let linkpath = type === 0x31 || type === 0x32 ? str(b, 157, 100) : '';
    let mtimeSec = num(b, 136, 12, 'mtime');
    let mtimeNsec = 0;
    let uid = num(b, 108, 8, 'uid');
    let gid = num(b, 116, 8, 'gid');
    let dataSize = size;
    const p = this.pending;
    if (p.longName !== undefined) path = p.longName;
    if (p.longLink !== undefined) linkpath = p.longLink;
    for (const pax of this.global.size ? [this.global, p.pax] : [p.pax]) {
      if (!pax) continue;
      for (const [k, v] of pax) {
        switch (k) {
          case 'path':
            path = v;
            break;
          case 'linkpath':
            linkpath = v;
            break;
          case 'uid':
            uid = paxInt(k, v);
            break;
          case 'gid':
            gid = paxInt(k, v);
            break;
          case 'size':
            dataSize = paxInt(k, v);
            break;
          case 'mtime': {
            const t = paxTime(v);
            mtimeSec = t.sec;
            mtimeNsec = t.nsec;
            break;
          }
          default:
            if (k.startsWith('GNU.sparse.')) throw unsupported('sparse files');
        }
      }
    }
    const mode = num(b, 100, 8, 'mode') & 0o7777;
    let kind: EntryKind;
    switch (type) {
      case 0x30: // '0'
      case 0x37: // '7' contiguous
      case 0:
        // A V7 archive marks directories only by the trailing slash.
        kind = type === 0 && path.endsWith('/') ? 'dir' : 'file';
        break;
      case 0x31:
        kind = 'hardlink';
        break;
      case 0x32:
        kind = 'symlink';
        break;
      case 0x33:
        kind = 'char';
        break;
      case 0x34:
        kind = 'block';
        break;
      case 0x35: // '5'
      case 0x44: // 'D' GNU dump directory: its data lists names, of no use to a layer
        kind = 'dir';
        break;
      case 0x36:
        kind = 'fifo';
        break;
      case 0x53: // 'S'
        throw unsupported('sparse files');
      case 0x4d: // 'M'
        throw unsupported('multi-volume tar archives');
      default:
        // 'V' volume labels and kinds unknown to tar: their data is skipped.
        return { entry: undefined, bytes: dataSize };
    }
    // As Go's reader: links, devices, directories and FIFOs have no data in the archive,
    // whatever their size field says; a dump directory's listing is skipped.
    const bytes = kind === 'file' || type === 0x44 ? dataSize : 0;
    const entry = { kind, path, linkpath, mode, uid, gid, mtimeSec, mtimeNsec, size: 0 };
    if (kind === 'file') entry.size = dataSize;
    return { entry, bytes };
  }

  private metaDone(): void {
    const body = this.meta.length === 1 ? this.meta[0]! : Buffer.concat(this.meta);
    this.meta = [];
    switch (this.metaType) {
      case 0x78:
        this.pending.pax = parsePax(body);
        break;
      case 0x67:
        for (const [k, v] of parsePax(body)) {
          if (v === '') this.global.delete(k);
          else this.global.set(k, v);
        }
        break;
      case 0x4c:
        this.pending.longName = cstr(body);
        break;
      case 0x4b:
        this.pending.longLink = cstr(body);
        break;
    }
  }
}

/** A malformed archive; the caller says which (a layer, an archive) and what to do. */
export class TarFormatError extends Error {}

function corrupt(message: string): Error {
  return new TarFormatError(message);
}

function unsupported(what: string): TsctrError {
  return new TsctrError(`${what} are not supported in image layers`, {
    hint: 'the image was built with a tar feature that docker and podman refuse too',
  });
}

function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i += 4) if (b.readUInt32LE(i) !== 0) return false;
  return true;
}

/** The header sum with the checksum field read as spaces; old writers summed signed bytes. */
function checksumOk(b: Buffer): boolean {
  const stored = num(b, 148, 8, 'checksum');
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i === 148) i = 156;
    const c = b[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return stored === unsigned || stored === signed;
}

/** A numeric field: octal digits padded with spaces or NULs, or GNU base-256 (high bit set). */
function num(b: Buffer, off: number, len: number, field: string): number {
  const first = b[off]!;
  if (first & 0x80) {
    // Base-256, big-endian two's complement after the marker bit; 0x40 is the sign.
    const inv = first & 0x40 ? 0xff : 0;
    let v = (first ^ inv) & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + (b[off + i]! ^ inv);
    if (!Number.isSafeInteger(v)) throw corrupt(`tar header field ${field} is out of range`);
    return inv ? -(v + 1) : v;
  }
  let i = off;
  const end = off + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  let v = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x37) v = v * 8 + (c - 0x30);
    else break;
  }
  for (; i < end; i++) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0) throw corrupt(`tar header field ${field} is not a number`);
  }
  return v;
}

function isAscii(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i]! > 0x7f) return false;
  return true;
}

/** A NUL-terminated field of at most `len` bytes, as UTF-8. */
function str(b: Buffer, off: number, len: number): string {
  let end = off;
  const max = off + len;
  while (end < max && b[end] !== 0) end++;
  // latin1 decodes ASCII the same, and faster.
  return b.toString(isAscii(b, off, end) ? 'latin1' : 'utf8', off, end);
}

function cstr(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
}

/** pax records: "LEN KEY=VALUE\n", LEN counting the whole record. */
function parsePax(b: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < b.length) {
    const sp = b.indexOf(0x20, off);
    const len = sp < 0 ? NaN : Number(b.toString('latin1', off, sp));
    if (
      !Number.isSafeInteger(len) ||
      len <= sp - off ||
      off + len > b.length ||
      b[off + len - 1] !== 0x0a
    ) {
      throw corrupt('malformed pax header record');
    }
    const rec = b.toString('utf8', sp + 1, off + len - 1);
    const eq = rec.indexOf('=');
    if (eq <= 0) throw corrupt('malformed pax header record');
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    off += len;
  }
  return out;
}

function paxInt(key: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n))
    throw corrupt(`malformed pax ${key} ${JSON.stringify(v)}`);
  return n;
}

/** "SECONDS[.FRACTION]", possibly negative. */
function paxTime(v: string): { sec: number; nsec: number } {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(v);
  if (!m) throw corrupt(`malformed pax mtime ${JSON.stringify(v)}`);
  const sec = Number(m[2]);
  const nsec = Number((m[3] ?? '').slice(0, 9).padEnd(9, '0'));
  if (!Number.isSafeInteger(sec)) throw corrupt(`malformed pax mtime ${JSON.stringify(v)}`);
  if (m[1] !== '-') return { sec, nsec };
  // -1.25 is 1.25 s before the epoch: second -2, plus 0.75 s.
  return nsec === 0 ? { sec: -sec, nsec: 0 } : { sec: -sec - 1, nsec: 1e9 - nsec };
}
