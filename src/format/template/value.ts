/**
 * How JavaScript data looks through Go's eyes. Docker executes templates over Go structs and
 * maps; tsctr executes them over plain JS values, mapped as follows:
 *
 * - `undefined` is Go's invalid value (a missing map entry): printed as `<no value>`;
 * - `null` is nil; numbers are int when integral, else float64; arrays are slices;
 * - a `Map` is a Go map: a missing key yields `<no value>`;
 * - any other object prints, ranges and indexes like a Go map (sorted keys). Reading a field it
 *   lacks depends on what it stands for: an object whose keys all start with a capital letter
 *   (a list row, or a struct of docker's inspect JSON such as `.Config`) is a struct, and the
 *   read is an error, so that a typo in `--format '{{.Nmae}}'` is reported; an object with other
 *   keys (labels, networks by name, ports) is a map, and the read yields `<no value>` as in
 *   docker, e.g. for `{{.NetworkSettings.Networks.bridge}}` when not on that network;
 * - a function-valued field is a method: `{{.Label "x"}}` calls it with the arguments.
 */

export type GoKind =
  'invalid' | 'nil' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map' | 'object' | 'func';

export function kindOf(v: unknown): GoKind {
  switch (typeof v) {
    case 'undefined':
      return 'invalid';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'string';
    case 'function':
      return 'func';
  }
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'slice';
  if (v instanceof Map) return 'map';
  return 'object';
}

export function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The Go type name used in error messages and `%T`. */
export function typeName(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return '<nil>';
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'float':
      return 'float64';
    case 'string':
      return 'string';
    case 'slice':
      return '[]interface {}';
    case 'map':
      return 'map[string]interface {}';
    case 'func':
      return 'func';
    case 'object': {
      const o = v as object;
      return isPlainObject(o) ? 'object' : (o.constructor?.name ?? 'object');
    }
  }
}

/** Go's notion of truth used by if, with, and, or, not. */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'bool':
      return v as boolean;
    case 'int':
    case 'float':
      return typeof v === 'bigint' ? v !== 0n : v !== 0;
    case 'string':
      return (v as string).length > 0;
    case 'slice':
      return (v as unknown[]).length > 0;
    case 'map':
      return (v as Map<unknown, unknown>).size > 0;
    case 'object':
      // Plain objects stand for Go maps (true when non-empty); class instances for structs.
      return !isPlainObject(v as object) || Object.keys(v as object).length > 0;
    case 'func':
      return true;
  }
}

/** Whether reading a field the object lacks is an error (a Go struct) or not (a Go map). */
export function isStructLike(obj: object): boolean {
  if (obj instanceof Map) return false;
  if (!isPlainObject(obj)) return true;
  const keys = Object.keys(obj);
  return keys.length > 0 && keys.every((k) => /^[A-Z]/.test(k));
}

/** The result of reading a name from a map or object. */
export type Lookup = { found: true; value: unknown } | { found: false };

/**
 * Reads a field of an object: own properties, and getters or methods of a class, but never what
 * every object inherits (toString, constructor…). Methods come back bound to their object.
 */
export function lookupField(obj: object, name: string): Lookup {
  if (obj instanceof Map) {
    return obj.has(name) ? { found: true, value: obj.get(name) } : { found: false };
  }
  const own = Object.hasOwn(obj, name);
  if (!own && (!(name in obj) || name in Object.prototype)) return { found: false };
  const value = (obj as Record<string, unknown>)[name];
  return { found: true, value: typeof value === 'function' && !own ? value.bind(obj) : value };
}

/** Orders map keys as Go's fmtsort does: numbers numerically, strings bytewise. */
function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The entries of a map-like value in Go's sorted key order. */
export function sortedEntries(v: object): [unknown, unknown][] {
  const entries: [unknown, unknown][] =
    v instanceof Map ? [...v.entries()] : Object.entries(v as Record<string, unknown>);
  return entries.sort(([a], [b]) => compareKeys(a, b));
}

export function mapSize(v: object): number {
  return v instanceof Map ? v.size : Object.keys(v).length;
}

/**
 * The zero value `index` returns for a key a map lacks. Go returns the zero of the map's value
 * type: docker's label maps are map[string]string, so `{{index .Config.Labels "x"}}` prints ""
 * for a missing label. JS maps have no value type; it is inferred from the values present.
 */
export function zeroOfValues(values: unknown[]): unknown {
  if (values.every((v) => typeof v === 'string')) return '';
  if (values.every((v) => typeof v === 'number')) return 0;
  if (values.every((v) => typeof v === 'boolean')) return false;
  return undefined;
}

/** UTF-8 bytes of a string: Go strings are byte sequences, so len, index and slice count bytes. */
export function utf8Bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function utf8Decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
