/**
 * Terminal column width of text, as go-runewidth measures it for docker's table writer: East
 * Asian wide and fullwidth characters and emoji take two columns, combining marks and
 * zero-width characters none, everything else one.
 */

/** Code point ranges (inclusive) that occupy two columns. */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo initial consonants
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2753, 0x2755],
  [0x2b1b, 0x2b1c],
  [0x2e80, 0x303e], // CJK radicals, punctuation
  [0x3041, 0x33ff], // kana, CJK compatibility
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6],
  [0x16fe0, 0x18cff],
  [0x1b000, 0x1b2ff],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f], // pictographs, emoticons
  [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd], // CJK extensions B and beyond
];

function isWide(cp: number): boolean {
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, end] = WIDE[mid]!;
    if (cp < start) hi = mid - 1;
    else if (cp > end) lo = mid + 1;
    else return true;
  }
  return false;
}

// Variation selectors are listed on purpose: alone they take no column. Made on first use: a
// regular expression of Unicode properties costs ~0.25 ms to create, a tenth of a cold `ps`,
// whose tables are ASCII.
let zeroWidth: RegExp | undefined;
function isZeroWidth(c: string): boolean {
  // eslint-disable-next-line no-misleading-character-class
  zeroWidth ??= /^[\p{Mn}\p{Me}\p{Cc}\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufe00-\ufe0f\ufeff]$/u;
  return zeroWidth.test(c);
}

/** Columns `s` takes in a terminal. */
export function displayWidth(s: string): number {
  // Table cells are nearly always printable ASCII, a column a character: a scan of char codes
  // answers without iterating code points (a tenth of a `stats` frame's layout under emulation).
  let ascii = 0;
  while (ascii < s.length) {
    const c = s.charCodeAt(ascii);
    if (c < 0x20 || c >= 0x7f) break;
    ascii++;
  }
  if (ascii === s.length) return ascii;
  let width = 0;
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (cp < 0x7f && cp >= 0x20) width++;
    else if (cp < 0x20 || cp === 0x7f)
      continue; // control characters (Cc)
    else if (isZeroWidth(c)) continue;
    else width += isWide(cp) ? 2 : 1;
  }
  return width;
}
