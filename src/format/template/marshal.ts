/**
 * A value with a function under this key is a Go json.Marshaler: the function returns the
 * exact JSON text to embed. Lets a list row mimic docker's formatter contexts, whose JSON
 * differs from their plain fields. Registered (Symbol.for): the bundle that sets it is not the
 * one that encodes (./engine-ref.ts).
 */
export const marshalJSON: unique symbol = Symbol.for('tsctr.marshalJSON') as never;
