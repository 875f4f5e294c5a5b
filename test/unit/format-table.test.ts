import { describe, expect, it } from 'vitest';
import {
  compileTemplate,
  humanDuration,
  humanSize,
  renderList,
  renderObject,
  since,
  TemplateError,
} from '../../src/format/index.ts';
import { TabWriter } from '../../src/format/tabwriter.ts';
import { templateText } from '../../src/format/table.ts';
import { displayWidth } from '../../src/format/text-width.ts';

const rows = [
  {
    ID: 'abc123def456',
    Image: 'nginx:latest',
    Names: 'web',
    Ports: '0.0.0.0:80->80/tcp',
    State: 'running',
    Label: (name: string) => (name === 'app' ? 'shop' : ''),
  },
  {
    ID: '0123456789ab',
    Image: 'redis',
    Names: 'cache-server-01',
    Ports: '',
    State: 'exited',
    Label: () => '',
  },
];

const headers = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Names: 'NAMES',
  Ports: 'PORTS',
  State: 'STATE',
};

const defaultFormat = 'table {{.ID}}\t{{.Image}}\t{{.Names}}';

function list(format: string | undefined, extra: object = {}): string {
  return renderList(rows, { format, defaultFormat, headers, ...extra });
}

describe('renderList', () => {
  it('uses the default table format without --format', () => {
    expect(list(undefined)).toBe(
      'CONTAINER ID   IMAGE          NAMES\n' +
        'abc123def456   nginx:latest   web\n' +
        '0123456789ab   redis          cache-server-01\n',
    );
  });

  it('treats a bare "table" as the default format', () => {
    expect(list('table')).toBe(list(undefined));
  });

  it('builds the header from the column titles, keeping literal text', () => {
    expect(list('table {{.ID}}: {{.Names}}')).toBe(
      'CONTAINER ID: NAMES\nabc123def456: web\n0123456789ab: cache-server-01\n',
    );
  });

  it('turns a typed \\t into a column break', () => {
    expect(list('table {{.ID}}\\t{{.Ports}}')).toBe(
      'CONTAINER ID   PORTS\n' + 'abc123def456   0.0.0.0:80->80/tcp\n' + '0123456789ab   \n',
    );
  });

  it('keeps the header of docker’s header functions and pad', () => {
    expect(list('table {{upper .Names}}\\t{{lower .State}}|{{pad .ID 1 1}}')).toBe(
      'NAMES             STATE| CONTAINER ID \n' +
        'WEB               running| abc123def456 \n' +
        'CACHE-SERVER-01   exited| 0123456789ab \n',
    );
  });

  it('keeps the part of a header printed before a header function fails', () => {
    const out = list('table {{.Names}}\\t{{json .}}');
    expect(out.split('\n')[0]).toBe('NAMES             ');
    expect(out.split('\n')[1]).toBe(
      'web               {"ID":"abc123def456","Image":"nginx:latest","Names":"web","Ports":"0.0.0.0:80-\\u003e80/tcp","State":"running"}',
    );
  });

  it('prints "json" rows as docker does: sorted keys, HTML escaped, no methods', () => {
    const out =
      '{"ID":"abc123def456","Image":"nginx:latest","Names":"web","Ports":"0.0.0.0:80-\\u003e80/tcp","State":"running"}\n' +
      '{"ID":"0123456789ab","Image":"redis","Names":"cache-server-01","Ports":"","State":"exited"}\n';
    expect(list('json')).toBe(out);
    expect(list('{{json .}}')).toBe(out);
  });

  it('does not escape HTML in the json of a single field, as docker’s json function', () => {
    expect(list('{{json .Ports}}')).toBe('"0.0.0.0:80->80/tcp"\n""\n');
  });

  it('sorts json keys by name whatever order the row has', () => {
    const out = renderList([{ Zeta: 1, Alpha: '<x>' }], {
      format: 'json',
      defaultFormat,
      headers,
    });
    expect(out).toBe('{"Alpha":"\\u003cx\\u003e","Zeta":1}\n');
  });

  it('runs any other format once per row with a newline after each', () => {
    expect(list('{{.Names}}\\t{{.State}}')).toBe('web\trunning\ncache-server-01\texited\n');
    expect(list('{{.Names}}\\n{{.State}}')).toBe('web\nrunning\ncache-server-01\nexited\n');
  });

  it('calls row methods with arguments', () => {
    expect(list('{{.Names}}={{.Label "app"}}')).toBe('web=shop\ncache-server-01=\n');
  });

  it('drops spaces around the format but keeps other whitespace', () => {
    expect(list('  {{.ID}}  ')).toBe('abc123def456\n0123456789ab\n');
    expect(templateText('table  {{.ID}} ')).toBe('{{.ID}}');
    expect(templateText('\\t{{.ID}}')).toBe('\t{{.ID}}');
    expect(templateText('json')).toBe('{{json .}}');
  });

  it('prints only IDs when quiet, even with a custom format', () => {
    expect(list(undefined, { quiet: true })).toBe('abc123def456\n0123456789ab\n');
    expect(list('table {{.Names}}', { quiet: true })).toBe('abc123def456\n0123456789ab\n');
    expect(list('json', { quiet: true, quietField: 'Names' })).toBe('web\ncache-server-01\n');
  });

  it('prints the header alone for an empty table and nothing otherwise', () => {
    const empty = { defaultFormat, headers };
    expect(renderList([], empty)).toBe('CONTAINER ID   IMAGE     NAMES\n');
    expect(renderList([], { ...empty, format: '{{.ID}}' })).toBe('');
    expect(renderList([], { ...empty, format: 'json' })).toBe('');
  });

  it('matches docker’s empty `docker ps` header', () => {
    const psHeaders = {
      ID: 'CONTAINER ID',
      Image: 'IMAGE',
      Command: 'COMMAND',
      RunningFor: 'CREATED',
      Status: 'STATUS',
      Ports: 'PORTS',
      Names: 'NAMES',
    };
    const ps =
      'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
    expect(renderList([], { defaultFormat: ps, headers: psHeaders })).toBe(
      'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n',
    );
  });

  it('aligns wide characters by their display width', () => {
    const out = renderList(
      [
        { Name: '日本語', Size: '1MB' },
        { Name: 'ab', Size: '2MB' },
      ],
      {
        defaultFormat: 'table {{.Name}}\t{{.Size}}',
        headers: { Name: 'NAME', Size: 'SIZE' },
      },
    );
    expect(out).toBe('NAME      SIZE\n日本語    1MB\nab        2MB\n');
  });

  it('prints <no value> for a column without a title', () => {
    expect(
      renderList([{ A: 'x', B: 'y' }], {
        format: 'table {{.A}}\\t{{.B}}',
        defaultFormat,
        headers: { A: 'A' },
      }),
    ).toBe('A         <no value>\nx         y\n');
  });

  it('fails with docker’s message and exit code 125 on a bad template', () => {
    expect(() => list('{{foo}}')).toThrow(
      new TemplateError('template: :1: function "foo" not defined'),
    );
    try {
      list('table {{.Foo}}');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateError);
      expect((err as TemplateError).exitCode).toBe(125);
      expect((err as TemplateError).message).toBe(
        'template parsing error: template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type object',
      );
    }
  });
});

describe('TabWriter (outputs checked against Go’s text/tabwriter)', () => {
  it.each<[string, string]>([
    [
      'h1\th2\th3\n1\t2\n1\t2\t3\t4\n',
      'h1        h2        h3\n1         2\n1         2         3         4\n',
    ],
    [
      'a\tb\nno tabs here\nccccccccccccccc\td\n',
      'a         b\nno tabs here\nccccccccccccccc   d\n',
    ],
    ['NAME\tSIZE\nx\t1MB\ny\t200MB\n', 'NAME      SIZE\nx         1MB\ny         200MB\n'],
    ['a\t\tc\n\tb\t\n', 'a                   c\n          b         \n'],
    ['last line\tunterminated', 'last line   unterminated'],
    // A form feed ends the block's columns; a vertical tab ends a cell as a tab does.
    ['aaaaaaaaaaaa\tb\fc\td\n', 'aaaaaaaaaaaa   b\nc         d\n'],
    [
      'a\vbbbbbbbbbbbbb\vc\nd\ve\vf\n',
      'a         bbbbbbbbbbbbb   c\nd         e               f\n',
    ],
  ])('%j', (input, want) => {
    const whole = new TabWriter();
    whole.write(input);
    expect(whole.flush()).toBe(want);
    const piecewise = new TabWriter();
    for (const c of input) piecewise.write(c);
    expect(piecewise.flush()).toBe(want);
  });

  it('measures terminal columns', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('🐳')).toBe(2);
  });
});

describe('renderObject', () => {
  const objects = [
    {
      Id: 'sha256:abc',
      Config: { Labels: { app: '<shop>' }, Cmd: ['sh', '-c', 'a && b'], Env: [], Volumes: {} },
      NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2' } } },
    },
  ];

  it('prints a JSON array indented by four spaces, escaped as the daemon does', () => {
    expect(renderObject(objects)).toBe(
      [
        '[',
        '    {',
        '        "Id": "sha256:abc",',
        '        "Config": {',
        '            "Labels": {',
        '                "app": "\\u003cshop\\u003e"',
        '            },',
        '            "Cmd": [',
        '                "sh",',
        '                "-c",',
        '                "a \\u0026\\u0026 b"',
        '            ],',
        '            "Env": [],',
        '            "Volumes": {}',
        '        },',
        '        "NetworkSettings": {',
        '            "Networks": {',
        '                "bridge": {',
        '                    "IPAddress": "172.17.0.2"',
        '                }',
        '            }',
        '        }',
        '    }',
        ']',
        '',
      ].join('\n'),
    );
  });

  it('prints an empty array for nothing', () => {
    expect(renderObject([])).toBe('[]\n');
    expect(renderObject([], 'json')).toBe('[]\n');
  });

  it('prints "json" as one line', () => {
    expect(renderObject([{ Id: 'a' }, { Id: 'b' }], 'json')).toBe('[{"Id":"a"},{"Id":"b"}]\n');
  });

  it('runs a template per object', () => {
    expect(renderObject([{ Id: 'a' }, { Id: 'b' }], '{{.Id}}')).toBe('a\nb\n');
    expect(renderObject(objects, '{{.NetworkSettings.Networks.bridge.IPAddress}}')).toBe(
      '172.17.0.2\n',
    );
    expect(renderObject(objects, '{{json .Config.Labels}}')).toBe('{"app":"<shop>"}\n');
    expect(renderObject(objects, '{{index .Config.Labels "app"}}')).toBe('<shop>\n');
  });

  it('gives <no value> for a key a map lacks, as docker does', () => {
    expect(renderObject(objects, '{{.NetworkSettings.Networks.host.IPAddress}}')).toBe(
      '<no value>\n',
    );
    expect(renderObject(objects, '[{{index .Config.Labels "missing"}}]')).toBe('[]\n');
  });

  it('leaves \\t in an inspect format alone', () => {
    expect(renderObject([{ Id: 'a' }], '{{.Id}}\\t{{.Id}}')).toBe('a\\ta\n');
  });

  it('prints a single newline for no objects with a template', () => {
    expect(renderObject([], '{{.Id}}')).toBe('\n');
  });

  it('rejects a field a struct lacks', () => {
    expect(() => renderObject(objects, '{{.Config.Nope}}')).toThrow(
      'template parsing error: template: :1:9: executing "" at <.Config.Nope>: can\'t evaluate field Nope in type object',
    );
  });
});

describe('humanSize', () => {
  it.each<[number, string]>([
    [0, '0B'],
    [1, '1B'],
    [999, '999B'],
    [1000, '1kB'],
    [1500, '1.5kB'],
    [4260000, '4.26MB'],
    [2125000, '2.12MB'], // an exact tie: Go rounds it to even
    [2135000, '2.13MB'], // not one: 2.135 is stored as 2.13499…
    [999999, '1e+03kB'],
    [1234567890, '1.23GB'],
    [7_654_321_000_000, '7.65TB'],
    [1e15, '1PB'],
  ])('%d → %s', (bytes, want) => {
    expect(humanSize(bytes)).toBe(want);
  });

  it('takes a precision', () => {
    expect(humanSize(1234567, 4)).toBe('1.235MB');
  });
});

describe('humanDuration and since', () => {
  const s = 1000;
  const min = 60 * s;
  const h = 60 * min;
  const d = 24 * h;
  it.each<[number, string]>([
    [-5 * s, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * s, '1 second'],
    [1999, '1 second'],
    [2 * s, '2 seconds'],
    [59 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [119 * s, 'About a minute'],
    [2 * min, '2 minutes'],
    [59 * min, '59 minutes'],
    [60 * min, 'About an hour'],
    [89 * min, 'About an hour'],
    [90 * min, '2 hours'],
    [47 * h, '47 hours'],
    [48 * h, '2 days'],
    [13 * d, '13 days'],
    [14 * d, '2 weeks'],
    [59 * d, '8 weeks'],
    [60 * d, '2 months'],
    [729 * d, '24 months'],
    [730 * d, '2 years'],
    [1100 * d, '3 years'],
  ])('%d ms → %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });

  it('says how long ago a date was', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(since(new Date(now - 3 * min), now)).toBe('3 minutes ago');
    expect(since('2024-05-01T11:00:00Z', now)).toBe('About an hour ago');
    expect(since(now - 10 * d, now)).toBe('10 days ago');
  });
});

describe('the format index', () => {
  it('exports the template engine', () => {
    expect(compileTemplate('{{.A}}').execute({ A: 1 })).toBe('1');
  });
});
