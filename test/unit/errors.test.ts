// How an unexpected system error is printed: the call, its path(s) and a hint, never a stack.
import { mkdirSync, renameSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeError, TsctrError } from '../../src/errors.ts';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('describeError', () => {
  it('prints a failed system call as the call, its paths and what went wrong', () => {
    const rename = describeError(thrown(() => renameSync('/nonexistent/a', '/nonexistent/b')));
    expect(rename).toEqual({
      text: 'Error: rename /nonexistent/a -> /nonexistent/b: no such file or directory',
      exitCode: 125,
    });
    const mkdir = describeError(thrown(() => mkdirSync('/proc/tsctr-test')));
    expect(mkdir.text).toBe('Error: mkdir /proc/tsctr-test: no such file or directory');
  });

  it('adds the hint the errno calls for', () => {
    const e = Object.assign(new Error("EACCES: permission denied, open '/s/x'"), {
      code: 'EACCES',
      syscall: 'open',
      path: '/s/x',
    });
    expect(describeError(e).text).toBe(
      'Error: open /s/x: permission denied\n' +
        'Hint: check the owner and permissions of that path and its parents; tsctr keeps images under --root (TSCTR_ROOT, default ~/.local/share/tsctr)',
    );
  });

  it("keeps tsctr's own errors as they are, and a stack for anything else (a bug)", () => {
    expect(describeError(new TsctrError('bad', { hint: 'do this' })).text).toBe(
      'Error: bad\nHint: do this',
    );
    expect(describeError(new TypeError('x is undefined')).text).toMatch(
      /^Error: TypeError: x is undefined\n {4}at /,
    );
  });
});
