import { describe, expect, it } from 'vitest';
import { exactDecimal, formatFloat } from '../../src/format/template/floatfmt.ts';

/** Every digit of a double's binary value, by BigInt arithmetic: mantissa × 2^exp. */
function bigIntDigits(x: number): { digits: string; dp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  let exp = -1074;
  if (biased !== 0) {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  const digits =
    exp >= 0 ? (mant << BigInt(exp)).toString() : (mant * 5n ** BigInt(-exp)).toString();
  const dp = exp >= 0 ? digits.length : digits.length + exp;
  return { digits: digits.replace(/0+$/, ''), dp };
}

describe('exactDecimal', () => {
  // Both sides of the 1e-15..1e15 range it computes without BigInt, and values within.
  const edges = [
    1e-15,
    1e-15 * (1 + Number.EPSILON),
    1e-15 * (1 - Number.EPSILON),
    2 ** -49,
    Number.MIN_VALUE,
    2 ** -1022,
    0.1,
    0.5,
    1,
    2.125,
    999.9999999999999,
    4.26,
    1e15 - 1,
    1e15 - 0.125,
    1e15,
    2 ** 53,
    Number.MAX_VALUE,
  ];
  it.each(edges)('gives every digit of %d', (x) => {
    expect(exactDecimal(x)).toEqual(bigIntDigits(x));
  });

  it('agrees with BigInt arithmetic on random doubles of every magnitude', () => {
    const f64 = new Float64Array(1);
    const u32 = new Uint32Array(f64.buffer);
    let seed = 42;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 20000; i++) {
      u32[0] = next();
      u32[1] = next() & 0x7fefffff; // positive and finite
      expect(exactDecimal(f64[0]!)).toEqual(bigIntDigits(f64[0]!));
    }
  });

  it('feeds Go rounding of exact ties to even', () => {
    expect(formatFloat(2.125, 'g', 3)).toBe('2.12');
    expect(formatFloat(0.25, 'f', 1)).toBe('0.2');
    expect(formatFloat(0.375, 'f', 2)).toBe('0.38');
  });

  it('rounds near-ties by the exact value', () => {
    // 2.675 is 2.67499999999999982236431605997495353221893310546875 in binary.
    expect(formatFloat(2.675, 'f', 2)).toBe('2.67');
    expect(formatFloat(1.005, 'f', 2)).toBe('1.00');
    expect(formatFloat(0.045, 'f', 2)).toBe('0.04');
    // Exact ties round to even; a digit past the tie rounds up.
    expect(formatFloat(0.125, 'f', 2)).toBe('0.12');
    expect(formatFloat(1.5, 'f', 0)).toBe('2');
    expect(formatFloat(2.5, 'f', 0)).toBe('2');
    expect(formatFloat(0.1250001, 'f', 2)).toBe('0.13');
    expect(formatFloat(999999.5, 'g', 6)).toBe('1e+06');
    // Roundings past the 16th digit take every digit.
    expect(formatFloat(0.1, 'f', 20)).toBe('0.10000000000000000555');
  });

  it("rounds as V8's toFixed/toPrecision do wherever no exact tie is at stake, and to even where one is", () => {
    // Ties left of the point: integers (25 at one digit), rounded to even.
    expect(formatFloat(25, 'g', 1)).toBe('2e+01');
    expect(formatFloat(35, 'g', 1)).toBe('4e+01');
    expect(formatFloat(1250, 'e', 1)).toBe('1.2e+03');
    // Ties right of it: q/2^(s+1), q odd, at s digits after the point.
    expect(formatFloat(0.625, 'g', 2)).toBe('0.62');
    expect(formatFloat(9.5, 'g', 1)).toBe('1e+01');
    expect(formatFloat(0.5, 'f', 0)).toBe('0');
    // No tie possible: the native rounding, even next to a power of ten.
    expect(formatFloat(9.9996, 'g', 4)).toBe('10');
    expect(formatFloat(999.96, 'g', 4)).toBe('1000');
    expect(formatFloat(0.00099996, 'g', 4)).toBe('0.001');
    expect(formatFloat(1023.9, 'g', 4)).toBe('1024');
    expect(formatFloat(12.3456, 'f', 2)).toBe('12.35');
    expect(formatFloat(0.004, 'f', 2)).toBe('0.00');
    expect(formatFloat(1.234e20, 'f', 1)).toBe('123400000000000000000.0');
    expect(formatFloat(1e-7, 'g', 3)).toBe('1e-07');
  });
});
