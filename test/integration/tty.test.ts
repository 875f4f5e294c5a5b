import { beforeAll, describe, expect, it } from 'vitest';
import { withBusybox } from './busybox.ts';
import { BIN, runAs, tsctr, type Sandbox } from './harness.ts';

// -t through a real terminal: script(1) gives the CLI a pty, as a terminal emulator would.
const box = withBusybox();
let sb: Sandbox;
let image: string;
beforeAll(() => ({ sb, image } = box));

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `shell` (sh syntax, $T is the CLI) on a pty of its own; stdin typed into it. */
function onTerminal(shell: string, input = '') {
  const r = runAs(sb, '/usr/bin/script', ['-qec', `T=${quote(BIN)}; ${shell}`, '/dev/null'], {
    input,
  });
  return { ...r, text: r.stdout.replace(/\r\n/g, '\n') };
}

describe('run -t', () => {
  it("gives the container a pty of its own, the terminal's size and TERM, and its exit code", () => {
    const r = onTerminal(
      // -t alone: script(1) turns the end of its own input into a NUL typed on the terminal,
      // which -i would pass on to the container's shell.
      `stty rows 40 cols 100; "$T" run -t --rm ${image} sh -c 'tty; stty size; echo $TERM; exit 3'`,
    );
    expect(r.code).toBe(3);
    expect(r.text).toContain('/dev/pts/0\n40 100\nxterm\n');
    // One \r per line, from the container's pty: the CLI's terminal adds none.
    expect(r.stdout).not.toContain('\r\r\n');
  });

  it('carries what is typed to the container, and a window resize while it runs', () => {
    const r = onTerminal(
      `stty rows 40 cols 100; (sleep 1.5; stty rows 50 cols 120 </dev/tty) & "$T" run -it --rm ${image} sh -c 'read line; echo "got $line"; stty size; sleep 3; stty size'`,
      'hello-42\n',
    );
    expect(r.code).toBe(0);
    expect(r.text).toContain('got hello-42\n40 100\n50 120\n');
  });

  it('refuses -it when stdin is not a terminal, as docker does', () => {
    const r = tsctr(sb, ['run', '-it', '--rm', image, 'true'], { input: 'x' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: the input device is not a TTY');
  });

  it('-dt keeps the terminal output in the log, and inspect shows Tty', async () => {
    tsctr(sb, ['run', '-dt', '--name', 'ttylog', image, 'sh', '-c', 'tty; sleep 60']);
    let logs = '';
    for (let i = 0; i < 50 && !logs; i++) {
      await new Promise((d) => setTimeout(d, 50));
      logs = tsctr(sb, ['logs', 'ttylog']).stdout;
    }
    expect(logs).toBe('/dev/pts/0\r\n');
    expect(tsctr(sb, ['inspect', '-f', '{{.Config.Tty}}', 'ttylog']).stdout).toBe('true\n');
  });
});

describe('exec -t', () => {
  it('runs a shell on a pty in the running container, with its exit code', () => {
    const r = onTerminal(
      `stty rows 30 cols 90; "$T" exec -it ttylog sh`,
      'tty; stty size; exit 5\n',
    );
    expect(r.code).toBe(5);
    expect(r.text).toMatch(/\/dev\/pts\/[1-9]\n30 90\n/);
    tsctr(sb, ['rm', '-f', 'ttylog']);
  });
});
