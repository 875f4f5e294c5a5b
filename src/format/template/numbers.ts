/** Go's number literal syntax, for numbers written in templates. */

/** strconv.ParseInt(text, 0, 64): optional sign, 0x/0o/0b/0 prefixes, `_` between digits. */
export function parseGoInt(text: string): number | undefined {
  const m = /^([+-]?)(0[xXoObB])?(.+)$/.exec(text);
  if (!m) return undefined;
  const [, sign, prefix, body] = m as unknown as [string, string, string | undefined, string];
  const letter = prefix?.[1]?.toLowerCase();
  const radix = letter === 'x' ? 16 : letter === 'o' ? 8 : letter === 'b' ? 2 : undefined;
  const leadingZeroOctal = radix === undefined && body.length > 1 && body[0] === '0';
  const digitClass = { 16: '0-9a-fA-F', 8: '0-7', 2: '01', 10: '0-9' }[
    radix ?? (leadingZeroOctal ? 8 : 10)
  ];
  // Underscores only between digits, or right after a base prefix.
  const lead = prefix ? '_?' : '';
  if (!new RegExp(`^${lead}[${digitClass}]+(_[${digitClass}]+)*$`).test(body)) return undefined;
  const digits = body.replaceAll('_', '');
  const js = radix ? `0${letter}${digits}` : leadingZeroOctal ? `0o${digits}` : digits;
  const value = sign === '-' ? -BigInt(js) : BigInt(js);
  if (value > 2n ** 63n - 1n || value < -(2n ** 63n)) return undefined;
  return Number(value);
}

/** strconv.ParseFloat for the decimal forms templates use in practice. */
export function parseGoFloat(text: string): number | undefined {
  const digits = '\\d+(_\\d+)*';
  const syntax = new RegExp(
    `^[+-]?(${digits}(\\.(${digits})?)?|\\.${digits})([eE][+-]?${digits})?$`,
  );
  return syntax.test(text) ? Number(text.replaceAll('_', '')) : undefined;
}
