// How the host programs tsctr runs fail, and what the user then reads: real programs (shell
// scripts in a temporary directory), not a stand-in for execa.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TsctrError } from '../../src/errors.ts';
import {
  filterThrough,
  isProgramMissing,
  lastLines,
  runProgram,
  type Program,
} from '../../src/host/exec.ts';

let dir: string;
let env: NodeJS.ProcessEnv;

function script(name: string, body: string, mode = 0o755): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

const program = (file: string, args: string[] = []): Program => ({
  file,
  args,
  purpose: 'testing',
  env,
});

async function failure(p: Promise<unknown>): Promise<TsctrError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TsctrError);
  return err as TsctrError;
}

async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

async function collect(it: AsyncIterable<Buffer>): Promise<string> {
  const out: Buffer[] = [];
  for await (const c of it) out.push(c);
  return Buffer.concat(out).toString();
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsctr-exec-'));
  // Only this directory and the system's: a test's program cannot be found elsewhere by chance.
  env = { PATH: `${dir}:/usr/bin:/bin`, LANG: 'C' };
  script('echoer', 'printf "%s|%s|%s" "$1" "$(cat)" "${SEEN-unset}"');
  script(
    'complainer',
    'echo "some output"\necho "first" >&2\necho "second" >&2\necho "third" >&2\necho "why it failed" >&2\nexit 3',
  );
  script('selfkill', 'echo "going down" >&2\nkill -KILL $$');
  script('quiet', 'exit 1');
  // The program exits; a child it left behind keeps the pipes open.
  script('stuck', `sleep 5 &\necho $! > ${dir}/stuck.pid\nexec sleep 5`);
  writeFileSync(join(dir, 'plain-file'), 'not a program\n');
  writeFileSync(join(dir, 'no-interpreter'), '#!/nonexistent/sh\n');
  chmodSync(join(dir, 'no-interpreter'), 0o755);
});

afterAll(() => {
  const stuck = join(dir, 'stuck.pid');
  if (existsSync(stuck)) {
    const pid = Number(readFileSync(stuck, 'utf8'));
    if (alive(pid)) process.kill(pid);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('runProgram', () => {
  it('passes the input on stdin and exactly the given environment', async () => {
    const r = await runProgram(program('echoer', ['arg']), { input: 'in' });
    expect(r).toEqual({ exitCode: 0, signal: undefined, stdout: 'arg|in|unset', stderr: '' });
    const seen = await runProgram({ ...program('echoer'), env: { ...env, SEEN: 'yes' } });
    expect(seen.stdout).toBe('||yes');
  });

  it('names the command, its exit status and the end of its stderr', async () => {
    const err = await failure(runProgram(program('complainer', ['x'])));
    expect(err.message).toBe(
      'testing: `complainer x` exited with status 3: second; third; why it failed',
    );
    expect(err.hint).toBe('run `complainer x` yourself to see all of its output');
    const quiet = await failure(runProgram(program('quiet')));
    expect(quiet.message).toBe('testing: `quiet` exited with status 1');
  });

  it('resolves with the status when the protocol reports through it', async () => {
    const r = await runProgram(program('complainer'), { statusIsResult: true });
    expect(r).toMatchObject({ exitCode: 3, signal: undefined, stdout: 'some output' });
    const killed = await runProgram(program('selfkill'), { statusIsResult: true });
    expect(killed).toMatchObject({ exitCode: undefined, signal: 'SIGKILL' });
  });

  it('says which signal killed it', async () => {
    const err = await failure(runProgram(program('selfkill')));
    expect(err.message).toBe('testing: `selfkill` was killed by SIGKILL: going down');
    expect(err.hint).toMatch(/memory runs out: see `dmesg`/);
  });

  it('says what to install when the program is missing', async () => {
    const err = await failure(
      runProgram({ ...program('no-such-program'), package: 'no-such-package', hint: 'or not' }),
    );
    expect(err.message).toBe('testing needs the no-such-program program');
    expect(err.hint).toBe('install it (Debian and Ubuntu: apt install no-such-package); or not');
    expect(isProgramMissing(err)).toBe(true);
    const bare = await failure(runProgram(program('no-such-program')));
    expect(bare.hint).toBe('install no-such-program on $PATH');
    expect(isProgramMissing(await failure(runProgram(program('quiet'))))).toBe(false);
  });

  it('tells a program that cannot start from one that is missing', async () => {
    const noInterp = join(dir, 'no-interpreter');
    const err = await failure(runProgram(program(noInterp)));
    expect(err.message).toBe(`testing: cannot run ${noInterp}: ENOENT`);
    expect(err.hint).toBe(`${noInterp} exists, but the interpreter on its #! line does not`);
    expect(isProgramMissing(err)).toBe(false);
    const plain = join(dir, 'plain-file');
    const denied = await failure(runProgram(program(plain)));
    expect(denied.message).toBe(`testing: cannot run ${plain}: EACCES`);
    expect(denied.errno).toBe('EACCES');
  });

  it('gives up at the deadline even when a child of the program holds its pipes', async () => {
    const start = Date.now();
    const err = await failure(runProgram(program('stuck'), { timeoutMs: 300 }));
    expect(Date.now() - start).toBeLessThan(3000);
    expect(err.message).toBe('testing: `stuck` did not finish within 0.3 s');
  });

  it("uses the caller's wording where it gives one", async () => {
    const err = await runProgram(program('quiet'), {
      explain: (f) => (f.kind === 'exit' ? new Error(`own: ${f.exitCode}`) : undefined),
    }).catch((e: unknown) => e);
    expect(err).toEqual(new Error('own: 1'));
  });
});

describe('filterThrough', () => {
  it('streams the input through the program', async () => {
    expect(await collect(filterThrough(program('tr', ['a-z', 'A-Z']), chunks('ab', 'cd')))).toBe(
      'ABCD',
    );
  });

  it('fails after the output when the program fails at the end', async () => {
    const p = program('sh', ['-c', 'cat; echo "tail: bad end" >&2; exit 2']);
    const seen: string[] = [];
    const err = await failure(
      (async () => {
        for await (const c of filterThrough(p, chunks('data'))) seen.push(c.toString());
      })(),
    );
    expect(seen.join('')).toBe('data');
    expect(err.message).toBe(
      'testing: `sh -c \'cat; echo "tail: bad end" >&2; exit 2\'` exited with status 2: tail: bad end',
    );
  });

  it('reports a missing program as a TsctrError, without hanging', async () => {
    const err = await failure(collect(filterThrough(program('no-such-filter'), chunks('x'))));
    expect(err.message).toBe('testing needs the no-such-filter program');
  });

  it("reports the input's own failure rather than the program's complaint", async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from('some');
      throw new Error('the download was cut');
    }
    const p = program('sh', ['-c', 'cat >/dev/null; echo "unexpected end" >&2; exit 1']);
    await expect(collect(filterThrough(p, broken()))).rejects.toThrow('the download was cut');
  });

  it('kills the program when the consumer stops early', async () => {
    const pidFile = join(dir, 'filter.pid');
    const p = program('sh', ['-c', `echo $$ > ${pidFile}; exec yes`]);
    for await (const _ of filterThrough(p, chunks())) break;
    const pid = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  });
});

describe('lastLines', () => {
  it('keeps the last non-empty lines on one line, each cut at 300 characters', () => {
    expect(lastLines('a\n\n b \nc\nd\n\n')).toBe('b; c; d');
    expect(lastLines('x'.repeat(400))).toBe(`${'x'.repeat(300)}…`);
    expect(lastLines('')).toBe('');
  });
});
