/**
 * The order docker's CLI sorts names in (`network ls`): runs of digits compare as numbers, so
 * `net2` comes before `net10`; a digit sorts before any other character; with equal values, the
 * number with fewer leading zeros comes first; everything else compares by UTF-16 code unit, which
 * for the ASCII names it sorts is Go's byte order.
 */
const isDigit = (c: number) => c >= 48 && c <= 57;

export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    const da = isDigit(ca);
    const db = isDigit(cb);
    if (da !== db) return da ? -1 : 1;
    if (!da) {
      if (ca !== cb) return ca - cb;
      i++;
      j++;
      continue;
    }
    const zerosA = i;
    const zerosB = j;
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    const startA = i;
    const startB = j;
    while (i < a.length && isDigit(a.charCodeAt(i))) i++;
    while (j < b.length && isDigit(b.charCodeAt(j))) j++;
    const numA = a.slice(startA, i);
    const numB = b.slice(startB, j);
    // Without leading zeros, the longer number is the larger; equal lengths compare as text.
    if (numA.length !== numB.length) return numA.length - numB.length;
    if (numA !== numB) return numA < numB ? -1 : 1;
    const padA = startA - zerosA;
    const padB = startB - zerosB;
    if (padA !== padB) return padA - padB;
  }
  return a.length - i - (b.length - j);
}
