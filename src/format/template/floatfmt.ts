/**
 * strconv.FormatFloat(x, fmt, prec, 64) for the 'e', 'f' and 'g' formats. JavaScript's
 * toFixed/toPrecision round exact ties away from zero where Go rounds them to even
 * (Go: %.1f of 0.25 is "0.2"), so digits come from the exact binary value instead.
 */

/** A decimal 0.d1d2d3… × 10^dp; no digits means zero. */
export interface Decimal {
  digits: string;
  dp: number;
}

/** The shortest digits that read back as x (what Go's 'g' with precision -1 uses). */
function shortestDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', dp: 0 };
  const [mantissa, exp] = x.toExponential().split('e') as [string, string];
  return { digits: mantissa.replace('.', ''), dp: Number(exp) + 1 };
}

/** Every digit of the binary value of x, so that rounding can see exact ties. */
export function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', dp: 0 };
  // Between 1e-15 and 1e15 a double's binary value has fewer than 101 significant digits, and
  // toExponential(100) gives them all, exactly: no BigInt arithmetic, whose first use is
  // 0.2 ms of a `tsctr images` (every SIZE is such a number).
  if (x >= 1e-15 && x < 1e15) {
    const [mantissa, exp] = x.toExponential(100).split('e') as [string, string];
    return { digits: mantissa.replace('.', '').replace(/0+$/, ''), dp: Number(exp) + 1 };
  }
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biasedExp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp = -1074;
  if (biasedExp !== 0) {
    mant |= 1n << 52n;
    exp = biasedExp - 1075;
  }
  let digits: string;
  let dp: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    dp = digits.length;
  } else {
    // mant × 2^exp = mant × 5^-exp / 10^-exp
    digits = (mant * 5n ** BigInt(-exp)).toString();
    dp = digits.length + exp;
  }
  return { digits: digits.replace(/0+$/, ''), dp };
}

/** Rounds to nd digits, ties to even, as Go's decimal.Round. */
function roundDecimal(d: Decimal, nd: number): Decimal {
  if (nd < 0 || nd >= d.digits.length) return d;
  const next = d.digits[nd]!;
  const exactHalf = next === '5' && nd + 1 === d.digits.length;
  const up = exactHalf ? nd > 0 && Number(d.digits[nd - 1]) % 2 === 1 : next >= '5';
  if (!up) return { digits: stripZeros(d.digits.slice(0, nd)), dp: d.dp };
  let i = nd - 1;
  while (i >= 0 && d.digits[i] === '9') i--;
  if (i < 0) return { digits: '1', dp: d.dp + 1 }; // all nines: 999 → 1000
  return {
    digits: d.digits.slice(0, i) + String(Number(d.digits[i]) + 1),
    dp: d.dp,
  };
}

// Loops, not patterns: a pattern's first runs are interpreted and later ones compiled to
// machine code, which under emulation (the VM tier) cost more than the formatting itself.
/** Whether digits from `at` on are a 5 followed by nothing but zeros. */
function isHalf(digits: string, at: number): boolean {
  if (digits[at] !== '5') return false;
  for (let i = at + 1; i < digits.length; i++) if (digits[i] !== '0') return false;
  return true;
}

function stripZeros(digits: string): string {
  let end = digits.length;
  while (end > 0 && digits[end - 1] === '0') end--;
  return end === digits.length ? digits : digits.slice(0, end);
}

/**
 * x's digits rounded at the digit `at(dp)` gives, ties to even. 17 significant digits, which
 * V8 gives without big-number arithmetic, decide it unless they put a tie there: beyond the 17th
 * digit they are off by less than half of it, so only digits that read as a 5 followed by zeros
 * can hide a value on either side. Those, and roundings further right, take every digit of the
 * binary value (exactDecimal), which under emulation cost `stats` a tenth of its rendering.
 */
function roundedDecimal(x: number, at: (dp: number) => number): Decimal {
  if (x !== 0) {
    const [mantissa, exp] = x.toExponential(16).split('e') as [string, string];
    const digits = mantissa.replace('.', '');
    const dp = Number(exp) + 1;
    const nd = at(dp);
    if (nd < 16 && !isHalf(digits, Math.max(nd, 0))) {
      return roundDecimal({ digits: stripZeros(digits), dp }, nd);
    }
  }
  const d = exactDecimal(x);
  return roundDecimal(d, at(d.dp));
}

function fmtE(d: Decimal, prec: number, letter: 'e' | 'E'): string {
  let s = d.digits[0] ?? '0';
  if (prec > 0) s += `.${d.digits.slice(1, prec + 1).padEnd(prec, '0')}`;
  const exp = d.digits.length === 0 ? 0 : d.dp - 1;
  const mag = String(Math.abs(exp)).padStart(2, '0');
  return `${s}${letter}${exp < 0 ? '-' : '+'}${mag}`;
}

function fmtF(d: Decimal, prec: number): string {
  let s = d.dp > 0 ? d.digits.slice(0, d.dp).padEnd(d.dp, '0') : '0';
  if (prec > 0) {
    let frac = '';
    for (let i = 1; i <= prec; i++) {
      const j = d.dp + i - 1;
      frac += j >= 0 && j < d.digits.length ? d.digits[j] : '0';
    }
    s += `.${frac}`;
  }
  return s;
}

export type FloatFormat = 'e' | 'E' | 'f' | 'g' | 'G';

/** strconv.FormatFloat(x, format, prec, 64); prec -1 means the shortest exact form. */
export function formatFloat(x: number, format: FloatFormat, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  const shortest = prec < 0;
  let d: Decimal;
  if (shortest) {
    d = shortestDecimal(abs);
    const nd = d.digits.length;
    if (format === 'e' || format === 'E') prec = Math.max(nd - 1, 0);
    else if (format === 'f') prec = Math.max(nd - d.dp, 0);
    else prec = nd;
  } else {
    if (prec === 0 && format !== 'e' && format !== 'E' && format !== 'f') prec = 1;
    const at = (dp: number) =>
      format === 'e' || format === 'E' ? prec + 1 : format === 'f' ? dp + prec : prec;
    d = roundedDecimal(abs, at);
  }
  let body: string;
  if (format === 'e' || format === 'E') {
    body = fmtE(d, prec, format);
  } else if (format === 'f') {
    body = fmtF(d, prec);
  } else {
    const nd = d.digits.length;
    let eprec = prec;
    if (eprec > nd && nd >= d.dp) eprec = nd;
    // %e is used if the exponent is below -4 or at least the precision (6 when shortest).
    if (shortest) eprec = 6;
    const exp = d.dp - 1;
    if (exp < -4 || exp >= eprec) {
      body = fmtE(d, Math.min(prec, nd) - 1, format === 'g' ? 'e' : 'E');
    } else {
      body = fmtF(d, Math.max((prec > d.dp ? nd : prec) - d.dp, 0));
    }
  }
  return neg ? `-${body}` : body;
}
