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

// A loop, not a pattern: a pattern's first runs are interpreted and later ones compiled to
// machine code, which under emulation (the VM tier) cost more than the formatting itself.
function stripZeros(digits: string): string {
  let end = digits.length;
  while (end > 0 && digits[end - 1] === '0') end--;
  return end === digits.length ? digits : digits.slice(0, end);
}

/**
 * Whether x·10^s ends in exactly one half, the only case where V8's toFixed, toPrecision and
 * toExponential (which round the exact binary value, as Go does) round otherwise than Go: away
 * from zero, where Go rounds to even. For s ≥ 0 that needs x = q/2^(s+1) with q odd, which a
 * multiplication by a power of two (exact) tells; for s < 0 an integer whose remainder by 10^-s
 * is half of it.
 */
function tieAt(x: number, s: number): boolean {
  if (s < 0) {
    if (!Number.isInteger(x)) return false;
    // A safe integer's remainder is exact: a tie leaves half of 10^-s.
    const unit = 10 ** -s;
    return x <= Number.MAX_SAFE_INTEGER && -s <= 22 ? x % unit === unit / 2 : true;
  }
  const t = x * 2 ** (s + 1);
  return Number.isInteger(t) && t % 2 === 1;
}

/**
 * Whether rounding x to `digits` significant digits may meet a tie. The exponent log10 gives
 * may be one off next to a power of ten: each candidate is ruled out.
 */
function tieNear(x: number, digits: number): boolean {
  const s = digits - 1 - Math.floor(Math.log10(x));
  return tieAt(x, s - 1) || tieAt(x, s) || tieAt(x, s + 1);
}

/** A decimal numeral as V8 prints it ("0.0500", "1.234e+21"), as a Decimal. */
function parseDecimal(text: string): Decimal {
  const e = text.indexOf('e');
  const mantissa = e < 0 ? text : text.slice(0, e);
  const dot = mantissa.indexOf('.');
  const whole = dot < 0 ? mantissa : mantissa.slice(0, dot);
  const all = dot < 0 ? whole : whole + mantissa.slice(dot + 1);
  let lead = 0;
  while (lead < all.length && all[lead] === '0') lead++;
  const digits = stripZeros(all.slice(lead));
  if (!digits) return { digits: '', dp: 0 };
  return { digits, dp: whole.length - lead + (e < 0 ? 0 : Number(text.slice(e + 1))) };
}

/**
 * x (positive, finite) rounded by V8 when no tie can be at stake, else undefined. Under
 * emulation a toExponential(16) cost `stats` about 0.1 ms, and a frame formats 160 numbers; a
 * tie is ruled out in three multiplications at most.
 */
function nativeRounded(x: number, format: FloatFormat, prec: number): Decimal | undefined {
  if (!(x > 0 && x < 1e21) || prec >= 100) return undefined;
  if (format === 'f') return tieAt(x, prec) ? undefined : parseDecimal(x.toFixed(prec));
  const digits = format === 'e' || format === 'E' ? prec + 1 : prec;
  return tieNear(x, digits) ? undefined : parseDecimal(x.toPrecision(digits));
}

/**
 * Go's text itself where V8's is it (no tie at stake, as nativeRounded): %.Nf is toFixed's, and
 * %.Ng is toPrecision's fixed notation without its trailing zeros wherever both print that
 * notation (Go from 10^-4 up, JavaScript from 10^-6; both below 10^N).
 */
function nativeText(x: number, format: FloatFormat, prec: number): string | undefined {
  if (!(x > 0 && x < 1e21) || prec >= 100) return undefined;
  if (format === 'f') return tieAt(x, prec) ? undefined : x.toFixed(prec);
  if (format !== 'g' && format !== 'G') return undefined;
  // A safe integer (String's digits are then exact) of at most `prec` digits is printed whole:
  // nothing to round (byte counts).
  if (Number.isSafeInteger(x) && x < 10 ** prec) return String(x);
  if (tieNear(x, prec)) return undefined;
  const text = x.toPrecision(prec);
  if (text.includes('e') || text.startsWith('0.0000')) return undefined;
  if (!text.includes('.')) return text;
  let end = text.length;
  while (text[end - 1] === '0') end--;
  if (text[end - 1] === '.') end--;
  return text.slice(0, end);
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
    // Zero has no digits to round (and `stats` prints many).
    if (abs === 0) d = { digits: '', dp: 0 };
    else {
      const direct = nativeText(abs, format, prec);
      if (direct !== undefined) return neg ? `-${direct}` : direct;
      const native = nativeRounded(abs, format, prec);
      if (native) d = native;
      else {
        // Where a tie may be at stake, every digit of the binary value decides.
        const exact = exactDecimal(abs);
        const nd =
          format === 'e' || format === 'E' ? prec + 1 : format === 'f' ? exact.dp + prec : prec;
        d = roundDecimal(exact, nd);
      }
    }
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
