import { describe, expect, it } from 'vitest';
import { TsctrError } from '../../src/errors.ts';
import { compileTemplate, simpleParts, TemplateError } from '../../src/format/template/index.ts';

/** Data shaped like docker's: capitalised struct fields, lower-case map keys. */
const data = {
  ID: 'abc123',
  Name: 'web',
  Names: ['a', 'b', 'c'],
  Num: 42,
  F: 1.5,
  Neg: -7,
  Zero: 0,
  Big: 123456789,
  Tiny: 0.000001234,
  S: 'Hello World',
  Empty: '',
  State: 'running',
  T: true,
  Fa: false,
  Nil: null,
  Html: '<a&b>',
  Uni: 'héllo wörld',
  Arr: [1, 2, 3],
  EmptyArr: [],
  EmptyMap: {},
  Labels: { b: '2', a: '1', 'c.d': '3' },
  Nested: { Inner: { X: 'deep' } },
  Mounts: [
    { Source: '/a', Destination: '/x' },
    { Source: '/b', Destination: '/y' },
  ],
  HostConfig: { Memory: 1073741824, CpuShares: 0 },
  Config: { Labels: { 'com.example.app': 'shop' } },
};

function run(text: string, dot: unknown = data): string {
  return compileTemplate(text).execute(dot);
}

function failure(text: string, dot: unknown = data): TemplateError {
  try {
    run(text, dot);
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw err;
  }
  throw new Error(`template ${text} did not fail`);
}

type Case = [template: string, expected: string];

describe('text, actions, trim markers and comments', () => {
  it.each<Case>([
    ['plain text', 'plain text'],
    ['', ''],
    ['{{.Name}}', 'web'],
    ['{{ .Name }}', 'web'],
    ['a {{- " b " -}} c', 'a b c'],
    ['x  {{- /* comment */ -}}  y', 'xy'],
    ['{{/* c */}}z', 'z'],
    ['  {{- 1 -}}  \n {{- 2}} ', '12 '],
    ['{{1}} {{- 2 -}} {{3}}', '123'],
    ['{{3 -}} 4', '34'],
    ['{{-3}}', '-3'],
    ['{{.Name -}}\n x', 'webx'],
    ['{{range .Arr -}} {{.}} {{- end}}', '123'],
    ['line1\n{{.Name}}\nline3', 'line1\nweb\nline3'],
  ])('%j → %j', (t, want) => {
    expect(run(t)).toBe(want);
  });
});

describe('fields, chains and variables', () => {
  it.each<Case>([
    ['{{.HostConfig.Memory}}', '1073741824'],
    ['{{.Nested.Inner.X}}', 'deep'],
    ['{{.Config.Labels}}', 'map[com.example.app:shop]'],
    ['{{$}}', String(run('{{.}}'))],
    ['{{$.Name}}', 'web'],
    ['{{range .Mounts}}{{$.Name}}:{{.Source}} {{end}}', 'web:/a web:/b '],
    ['{{$x := 1}}{{$x}}{{$x = 2}}{{$x}}', '12'],
    ['{{$x := 1}}{{range .Arr}}{{$x = .}}{{end}}{{$x}}', '3'],
    ['{{$m := index .Mounts 1}}{{$m.Source}}', '/b'],
    ['{{(index .Mounts 1).Source}}', '/b'],
    ['{{with $x := .Num}}{{$x}}{{end}}', '42'],
    ['{{.Labels.a}}', '1'],
    ['{{.Labels.missing}}', '<no value>'],
    ['{{.EmptyMap.anything}}', '<no value>'],
  ])('%j → %j', (t, want) => {
    expect(run(t)).toBe(want);
  });

  it('reads JS Maps as Go maps, with <no value> for missing keys', () => {
    const m = new Map<string, unknown>([
      ['Name', 'x'],
      ['Inner', new Map([['K', 'v']])],
    ]);
    expect(run('{{.Name}} {{.Missing}} {{.Inner.K}} {{.Missing.Deeper}}', m)).toBe(
      'x <no value> v <no value>',
    );
    expect(run('{{.}}', m)).toBe('map[Inner:map[K:v] Name:x]');
  });

  it('calls function fields as methods, with arguments', () => {
    const row = {
      ID: 'c1',
      Label: (name: string) => (name === 'app' ? 'shop' : ''),
    };
    expect(run('{{.ID}}={{.Label "app"}}', row)).toBe('c1=shop');
    expect(run('{{"app" | .Label}}', row)).toBe('shop');
  });

  it('calls getters and methods of class instances', () => {
    class Row {
      readonly id = 'deadbeef1234';
      get ID(): string {
        return this.id.slice(0, 4);
      }
      Short(n: number): string {
        return this.id.slice(0, n);
      }
    }
    expect(run('{{.ID}} {{.Short 6}}', new Row())).toBe('dead deadbe');
  });
});

describe('pipelines and function calls', () => {
  it.each<Case>([
    ['{{.Name | printf "%s!"}}', 'web!'],
    ['{{.Num | printf "%d-%d" 1}}', '1-42'],
    ['{{"+" | join .Names}}', 'a+b+c'],
    ['{{(printf "%d" 1) | printf "%s!"}}', '1!'],
    ['{{len (index .Mounts 0)}}', '2'],
    ['{{index .Mounts 0 | len}}', '2'],
    ['{{.Arr | len}}', '3'],
    ['{{"abc" | upper | printf "<%s>"}}', '<ABC>'],
  ])('%j → %j', (t, want) => {
    expect(run(t)).toBe(want);
  });
});

describe('if, with, range, define', () => {
  it.each<Case>([
    ['{{if eq .State "running"}}up{{else}}down{{end}}', 'up'],
    ['{{if eq .State "exited"}}up{{else}}down{{end}}', 'down'],
    ['{{if eq .State "x" "running"}}one of{{end}}', 'one of'],
    ['{{if ne .Num 42}}a{{else if gt .Num 40}}b{{else}}c{{end}}', 'b'],
    ['{{if 0}}a{{else if 0}}b{{else if 1}}c{{else}}d{{end}}', 'c'],
    ['{{if and .T .Fa}}y{{else}}n{{end}}', 'n'],
    ['{{with .Nested.Inner}}{{.X}}{{end}}', 'deep'],
    ['{{with .Empty}}x{{else}}none{{end}}', 'none'],
    ['{{with 0}}a{{else with 2}}{{.}}{{end}}', '2'],
    ['{{range .Mounts}}{{.Source}}{{end}}', '/a/b'],
    ['{{range $i, $m := .Mounts}}{{$i}}={{$m.Destination}};{{end}}', '0=/x;1=/y;'],
    ['{{range $e := .Arr}}{{$e}}{{end}}', '123'],
    ['{{range .Labels}}{{.}},{{end}}', '1,2,3,'],
    ['{{range $k, $v := .Labels}}{{$k}}={{$v}} {{end}}', 'a=1 b=2 c.d=3 '],
    ['{{range .EmptyArr}}x{{else}}empty{{end}}', 'empty'],
    ['{{range .Nil}}x{{else}}nil{{end}}', 'nil'],
    ['{{range .Arr}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}', '1'],
    ['{{range .Arr}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}', '13'],
    ['{{range .Arr}}{{range $.Names}}{{.}}{{end}}|{{end}}', 'abc|abc|abc|'],
    ['{{range 3}}{{.}}{{end}}', '012'],
    ['{{define "x"}}[{{.}}]{{end}}{{template "x" .Name}}', '[web]'],
    ['{{define "t"}}{{.}}{{end}}{{template "t"}}', '<no value>'],
    ['{{block "b" .Num}}<{{.}}>{{end}}', '<42>'],
    ['{{block "b" .Name}}[{{.}}]{{end}}{{template "b" "z"}}', '[web][z]'],
  ])('%j → %j', (t, want) => {
    expect(run(t)).toBe(want);
  });

  it('scopes variables to their block', () => {
    expect(failure('{{if 1}}{{$x := 1}}{{end}}{{$x}}').message).toBe(
      'template parsing error: template: :1: undefined variable "$x"',
    );
  });
});

describe('truthiness', () => {
  it.each<[string, boolean]>([
    ['.T', true],
    ['.Fa', false],
    ['.Num', true],
    ['.Zero', false],
    ['.S', true],
    ['.Empty', false],
    ['.Arr', true],
    ['.EmptyArr', false],
    ['.Labels', true],
    ['.EmptyMap', false],
    ['.Nil', false],
    ['.Labels.missing', false],
    ['.F', true],
  ])('{{if %s}}', (expr, truth) => {
    expect(run(`{{if ${expr}}}yes{{else}}no{{end}}`)).toBe(truth ? 'yes' : 'no');
  });
});

describe('literals and printed values', () => {
  it.each<Case>([
    ['{{"a\\tb\\u00e9\\x41\\101"}}', 'a\tbéAA'],
    ['{{`raw\\n`}}', 'raw\\n'],
    ["{{'a'}} {{'\\n'}} {{'é'}}", '97 10 233'],
    ['{{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{-3}} {{+5}}', '31 15 15 5 1000 -3 5'],
    ['{{1.5}} {{0.1}} {{.0001}} {{.00001}} {{100000.0}}', '1.5 0.1 0.0001 1e-05 100000'],
    ['{{true}} {{false}}', 'true false'],
    ['{{.Num}} {{.Neg}} {{.F}} {{.Big}} {{.Tiny}}', '42 -7 1.5 123456789 1.234e-06'],
    ['{{.Names}}', '[a b c]'],
    ['{{.Arr}} {{.EmptyArr}} {{.EmptyMap}}', '[1 2 3] [] map[]'],
    ['{{.Labels}}', 'map[a:1 b:2 c.d:3]'],
    ['{{.Mounts}}', '[map[Destination:/x Source:/a] map[Destination:/y Source:/b]]'],
    ['{{.Nil}}', '<nil>'],
    ['{{.T}} {{.Fa}}', 'true false'],
  ])('%j → %j', (t, want) => {
    expect(run(t)).toBe(want);
  });
});

describe('builtin functions', () => {
  it.each<Case>([
    ['{{and 1 0 2}} {{or 0 "" 3}} {{or 0 ""}} {{not .T}}', '0 3  false'],
    ['{{and 0 .Nil.Foo}}', '0'],
    ['{{or 1 .Nil.Foo}}', '1'],
    ['{{1 | and 1}} {{0 | or 0}}', '1 0'],
    ['{{len .Names}} {{len .S}} {{len .Labels}} {{len .Uni}}', '3 11 3 13'],
    ['{{index .Labels "a"}}', '1'],
    ['{{index .Labels "zz"}}', ''],
    ['{{index .Config.Labels "com.example.app"}}', 'shop'],
    ['{{index .Arr 1}} {{index .Names 0}} {{index .S 1}}', '2 a 101'],
    ['{{index .Nested "Inner" "X"}}', 'deep'],
    ['{{slice .Names 1}} {{slice .Names 1 2}} {{slice .S 0 5}}', '[b c] [b] Hello'],
    ['{{print 1 2 "a" "b" 3}}', '1 2ab3'],
    ['{{print .Labels.missing}}', '<nil>'],
    ['{{println 1 "a"}}', '1 a\n'],
    [
      '{{eq 1 2 3 1}} {{ne 1 2}} {{eq .Nil .Nil}} {{eq .Labels.missing "x"}}',
      'true true true false',
    ],
    ['{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', 'true true true false'],
    ['{{html "<a href=\'x\'>&\\""}}', '&lt;a href=&#39;x&#39;&gt;&amp;&#34;'],
    ['{{js "<x>\'\\"=\\n"}}', '\\u003Cx\\u003E\\\'\\"\\u003D\\u000A'],
    ['{{urlquery "a b&c/d=é"}}', 'a+b%26c%2Fd%3D%C3%A9'],
    ['{{html 1 2}}', '1 2'],
  ])('%j → %j', (t, want) => {
    expect(run(t)).toBe(want);
  });

  it('call invokes a function value', () => {
    // Functions in an object are methods, called when read; a Map holds them as values.
    const m = new Map([['F', (a: number, b: number) => a * b]]);
    expect(run('{{call .F 2 3}}', m)).toBe('6');
  });
});

describe('printf', () => {
  it.each<Case>([
    ['{{printf "%-10s|" .Name}}', 'web       |'],
    ['{{printf "%10s|" .Name}}', '       web|'],
    ['{{printf "%5.2f" .F}}', ' 1.50'],
    ['{{printf "%.2f" .HostConfig.Memory}}', '1073741824.00'],
    ['{{printf "%d %v %s %t" .Num .Arr .S .T}}', '42 [1 2 3] Hello World true'],
    ['{{printf "%x %X %o %b %O" .Num .Num .Num .Num .Num}}', '2a 2A 52 101010 0o52'],
    ['{{printf "%08b|%#o|%#x|%#X" 5 8 255 255}}', '00000101|010|0xff|0XFF'],
    [
      '{{printf "%08.3f|%+d|% d|%-5d|%05d" .F .Num .Num .Num .Neg}}',
      '0001.500|+42| 42|42   |-0007',
    ],
    ['{{printf "%06d|%-06d|%+06d|%06.3d" -42 42 42 42}}', '-00042|42    |+00042|   042'],
    ['{{printf "%e %E %g %G" .F .F .Tiny 1e21}}', '1.500000e+00 1.500000E+00 1.234e-06 1E+21'],
    [
      '{{printf "%.2e|%10.3e|%-10.1f|%+.1f|% .1f" 12345.678 0.00012 3.14159 2.0 2.0}}',
      '1.23e+04| 1.200e-04|3.1       |+2.0| 2.0',
    ],
    [
      '{{printf "%6.3g|%.3g|%.0f|%.1f|%.1f" 999.999 12345.0 0.5 0.25 0.35}}',
      ' 1e+03|1.23e+04|0|0.2|0.3',
    ],
    ['{{printf "%g|%.3g|%.10g|%g" 0.1 3.14159 3.14159 1e-5}}', '0.1|3.14|3.14159|1e-05'],
    [
      '{{printf "%010.3f|%-010.3f|%+010.3f" -3.14159 3.14159 3.14159}}',
      '-00003.142|3.142     |+00003.142',
    ],
    ['{{printf "%q" .S}}', '"Hello World"'],
    ['{{printf "%q" "a\\x01\\u00e9\\U0001F600\\t"}}', '"a\\x01é😀\\t"'],
    ['{{printf "%+q|%#q|%.1q" "日本" "a`b" "xyz"}}', '"\\u65e5\\u672c"|"a`b"|"x"'],
    ['{{printf "%x|% x|%#x|%X" "hi" "hi" "hi" "hi"}}', '6869|68 69|0x6869|6869'],
    ['{{printf "%c|%U|%#U|%q" 65 65 233 65}}', "A|U+0041|U+00E9 'é'|'A'"],
    ['{{printf "%.3s|%.0d|%6.2v|" .S .Zero .F}}', 'Hel||   1.5|'],
    ['{{printf "%T %T %T %T %T" .S .Num .F .Arr nil}}', 'string int float64 []interface {} <nil>'],
    ['{{printf "%5t|%-7v|" .T .Fa}}', ' true|false  |'],
    ['{{printf "%*d|%-*d|%.*f" 5 .Num 5 .Num 2 .F}}', '   42|42   |1.50'],
    [
      '{{printf "%v|%5v|%-5v|" .Arr .Arr .Names}}',
      '[1 2 3]|[    1     2     3]|[a     b     c    ]|',
    ],
    [
      '{{printf "%d" .Names}} {{printf "%q" .Names}}',
      '[%!d(string=a) %!d(string=b) %!d(string=c)] ["a" "b" "c"]',
    ],
    ['{{printf "%v" .Labels}}', 'map[a:1 b:2 c.d:3]'],
    ['{{printf "%6.2f%%" 12.3456}}', ' 12.35%'],
    ['{{printf "%d" .S}}', '%!d(string=Hello World)'],
    ['{{printf "%s"}}', '%!s(MISSING)'],
    ['{{printf "%s" .S .Num}}', 'Hello World%!(EXTRA int=42)'],
    ['{{printf "%d" 1 2 "x" nil}}', '1%!(EXTRA int=2, string=x, <nil>)'],
    ['{{printf "%z" .Num}}', '%!z(int=42)'],
    ['{{printf "%"}}', '%!(NOVERB)'],
    ['{{printf "%*s|" "x" "a"}}', '%!(BADWIDTH)a|'],
    ['{{printf "%s" nil}} {{printf "%d" nil}}', '%!s(<nil>) %!d(<nil>)'],
    ['{{printf "%s" true}} {{printf "%t" 1}}', '%!s(bool=true) %!t(int=1)'],
  ])('%j → %j', (t, want) => {
    expect(run(t)).toBe(want);
  });
});

describe("docker's functions", () => {
  it.each<Case>([
    ['{{json .Names}}', '["a","b","c"]'],
    ['{{json .Labels}}', '{"b":"2","a":"1","c.d":"3"}'],
    ['{{json .Html}}', '"<a&b>"'],
    [
      '{{json .Nil}} {{json .F}} {{json .Tiny}} {{json 1e-7}} {{json 1.5e300}}',
      'null 1.5 0.000001234 1e-7 1.5e+300',
    ],
    ['{{json "\\u2028\\u0001\\t\\b"}}', '"\\u2028\\u0001\\t\\b"'],
    ['{{json .Mounts}}', '[{"Source":"/a","Destination":"/x"},{"Source":"/b","Destination":"/y"}]'],
    ['{{json .HostConfig}}', '{"Memory":1073741824,"CpuShares":0}'],
    ['{{split "a,b,c" ","}} {{split "abc" ""}} {{len (split "" ",")}}', '[a b c] [a b c] 1'],
    ['{{join .Names ","}}', 'a,b,c'],
    ['{{join .Arr "-"}}', '1-2-3'],
    ['{{join .Labels "/"}}', '1/2/3'],
    ['{{join .Nil ","}}|', '|'],
    ['{{lower .S}} {{upper .S}}', 'hello world HELLO WORLD'],
    ['{{title "hello wORLD foo_bar x-y élan"}}', 'Hello WORLD Foo_bar X-Y Élan'],
    ['{{pad .Name 2 3}}|{{pad .Empty 2 3}}|', '  web   ||'],
    ['{{truncate .S 5}}|{{truncate .S 50}}|{{truncate .ID 0}}|', 'Hello|Hello World||'],
  ])('%j → %j', (t, want) => {
    expect(run(t)).toBe(want);
  });

  it('json keeps Go map order for Maps and escapes nothing HTML-like', () => {
    const m = new Map<string, unknown>([
      ['z', 1],
      ['a', '<&>'],
    ]);
    expect(run('{{json .}}', m)).toBe('{"a":"<&>","z":1}');
  });
});

describe('errors', () => {
  it('is a TsctrError with exit code 125 and docker’s prefix', () => {
    const err = failure('{{foo}}');
    expect(err).toBeInstanceOf(TsctrError);
    expect(err.exitCode).toBe(125);
    expect(err.message).toBe('template parsing error: template: :1: function "foo" not defined');
  });

  it.each<Case>([
    ['{{.Foo', 'unclosed action'],
    ['{{.Name}', "bad character U+007D '}'"],
    ['{{"abc}}', 'unterminated quoted string'],
    ['{{if .T}}', 'unexpected EOF'],
    ['{{end}}', 'unexpected {{end}}'],

    ['{{if 1}}{{else}}{{else}}{{end}}', 'expected end; found {{else}}'],
    ['{{range .Arr}}{{else if 1}}{{end}}', 'unexpected <if> in input'],
    ['{{$y}}', 'undefined variable "$y"'],
    ['{{break}}', '{{break}} outside {{range}}'],
    ['{{range $a, $b, $c := .Arr}}{{end}}', 'too many declarations in range'],
    ['{{range $a, 3 := .Arr}}{{end}}', 'range can only initialize variables'],
    ['{{.Name | 3}}', 'non executable command in pipeline stage 2'],
    ['{{(1}}', 'unclosed left paren'],
    ['{{)}}', 'unexpected ")" in command'],
    ['{{}}', 'missing value for command'],
    ['{{if}}{{end}}', 'missing value for if'],
    ['{{"a".Foo}}', 'unexpected . after term "\\"a\\""'],
    ['{{08}}', 'integer overflow: "08"'],
    ['{{1.2.3}}', 'unexpected ".3" in operand'],
    ['{{3x}}', 'bad number syntax: "3x"'],
    ['{{1__0}}', 'illegal number syntax: "1__0"'],
    ['a{{-/* c */-}}b', 'illegal number syntax: "-"'],
    ["{{''}}", 'invalid syntax'],
    ['{{"\\q"}}', 'invalid syntax'],
    ['{{@}}', 'unexpected "@" in command'],
    ['{{\u00a7}}', "unrecognized character in action: U+00A7 '\u00a7'"],
    ['{{:}}', 'expected :='],
    ['{{/* x', 'unclosed comment'],
    ['{{/* x */ .Name}}', 'comment ends before closing delimiter'],
    ['{{template .X}}', 'unexpected ".X" in template clause'],
    [
      '{{define "a"}}x{{end}}{{define "a"}}y{{end}}',
      'template: multiple definition of template "a"',
    ],
  ])('parse error for %j', (t, msg) => {
    expect(failure(t).message).toBe(`template parsing error: template: :1: ${msg}`);
  });

  it('reports the line of a parse error', () => {
    expect(failure('x\n{{else}}').message).toBe(
      'template parsing error: template: :2: unexpected {{else}}',
    );
    expect(failure('a\nb\n{{/* x').message).toBe(
      'template parsing error: template: :3: unclosed comment',
    );
    expect(failure('{{\n.Name\n"abc}}').message).toBe(
      'template parsing error: template: :3: unterminated quoted string in action started at :1',
    );
  });

  it.each<Case>([
    ['{{.Foo}}', ':1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type object'],
    [
      '{{.Nested.Missing}}',
      ':1:9: executing "" at <.Nested.Missing>: can\'t evaluate field Missing in type object',
    ],
    [
      '{{.Name.Foo}}',
      ':1:7: executing "" at <.Name.Foo>: can\'t evaluate field Foo in type string',
    ],
    ['{{.Nil.Foo}}', ':1:6: executing "" at <.Nil.Foo>: nil pointer evaluating interface {}.Foo'],
    [
      '{{.Name 1}}',
      ':1:2: executing "" at <.Name>: Name has arguments but cannot be invoked as function',
    ],
    ['{{.Labels.a 1}}', ':1:9: executing "" at <.Labels.a>: a is not a method but has arguments'],
    [
      '{{index .Arr 5}}',
      ':1:2: executing "" at <index .Arr 5>: error calling index: index out of range: 5',
    ],
    [
      '{{index .Nil 1}}',
      ':1:2: executing "" at <index .Nil 1>: error calling index: index of untyped nil',
    ],
    [
      '{{index .Arr "a"}}',
      ':1:2: executing "" at <index .Arr "a">: error calling index: cannot index slice/array with type string',
    ],
    [
      '{{slice .Arr 2 1}}',
      ':1:2: executing "" at <slice .Arr 2 1>: error calling slice: invalid slice index: 2 > 1',
    ],
    ['{{len .Num}}', ':1:2: executing "" at <len .Num>: error calling len: len of type int'],
    [
      '{{eq 1 "a"}}',
      ':1:2: executing "" at <eq 1 "a">: error calling eq: incompatible types for comparison',
    ],
    [
      '{{eq .Arr .Arr}}',
      ':1:2: executing "" at <eq .Arr .Arr>: error calling eq: non-comparable type [%!s(int=1) %!s(int=2) %!s(int=3)]: []interface {}',
    ],
    [
      '{{lt true false}}',
      ':1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison',
    ],
    ['{{eq 1}}', ':1:2: executing "" at <eq 1>: error calling eq: missing argument for comparison'],
    ['{{not 1 2}}', ':1:2: executing "" at <not>: wrong number of args for not: want 1 got 2'],
    [
      '{{printf}}',
      ':1:2: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0',
    ],
    [
      '{{upper .Num}}',
      ':1:8: executing "" at <.Num>: wrong type for value; expected string; got int',
    ],
    ['{{upper .Nil}}', ':1:8: executing "" at <.Nil>: invalid value; expected string'],
    ['{{truncate .S "x"}}', ':1:14: executing "" at <"x">: expected integer; found "x"'],
    ['{{pad .S 1}}', ':1:2: executing "" at <pad>: wrong number of args for pad: want 3 got 2'],
    [
      '{{join .S ","}}',
      ':1:2: executing "" at <join .S ",">: error calling join: expected slice, got string',
    ],
    ['{{nil}}', ':1:2: executing "" at <nil>: nil is not a command'],
    [
      '{{range .S}}{{.}}{{end}}',
      ':1:8: executing "" at <.S>: range can\'t iterate over Hello World',
    ],
    [
      '{{template "nope"}}',
      ':1:11: executing "" at <{{template "nope"}}>: template "nope" not defined',
    ],
    [
      '{{define "t"}}{{.Foo}}{{end}}{{template "t" .}}',
      ':1:16: executing "t" at <.Foo>: can\'t evaluate field Foo in type object',
    ],
    [
      'line1\n{{.Name}}\n  {{.Name.X}}',
      ':3:9: executing "" at <.Name.X>: can\'t evaluate field X in type string',
    ],
  ])('execution error for %j', (t, msg) => {
    expect(failure(t).message).toBe(`template parsing error: template: ${msg}`);
  });

  it('keeps the output written before an execution error', () => {
    const err = failure('line1\n{{.Name}}\n  {{.Name.X}}');
    expect(err.partial).toBe('line1\nweb\n  ');
  });

  it('stops a runaway recursion', () => {
    expect(failure('{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}').message).toMatch(
      /exceeded maximum template depth \(\d+\)$/,
    );
  });

  it('reports an error thrown by a method', () => {
    const row = {
      ID: 'x',
      Boom: () => {
        throw new Error('no such label');
      },
    };
    expect(failure('{{.Boom}}', row).message).toBe(
      'template parsing error: template: :1:2: executing "" at <.Boom>: error calling Boom: no such label',
    );
  });
});

describe('compiled templates', () => {
  it('execute once per row without carrying state', () => {
    const t = compileTemplate('{{$n := .Name}}{{$n}}');
    expect([{ Name: 'a' }, { Name: 'b' }].map((r) => t.execute(r))).toEqual(['a', 'b']);
  });

  it('accept replacement functions per execution', () => {
    const t = compileTemplate('{{upper .Name}}');
    const funcs = { upper: { params: ['string' as const], fn: (s: string) => `<${s}>` } };
    expect(t.execute({ Name: 'x' }, { funcs })).toBe('<x>');
    expect(t.execute({ Name: 'x' })).toBe('X');
  });

  it('take text and plain fields without the engine, anything else with it', () => {
    expect(simpleParts('table {{.ID}}\t{{.Name_2}}}')).toEqual([
      'table ',
      'ID',
      '\t',
      'Name_2',
      '}',
    ]);
    expect(simpleParts('a { b } {.c}')).toEqual(['a { b } {.c}']);
    for (const text of [
      '{{.}}',
      '{{.A.B}}',
      '{{.A }}',
      '{{{.A}}',
      '{{.A}}{{',
      '{{.2A}}',
      '{{json .}}',
    ])
      expect(simpleParts(text)).toBeUndefined();
    // Either way, the same output.
    expect(compileTemplate('{{.A}}-{{.B}}').execute({ A: 'x', B: 3 })).toBe('x-3');
    expect(compileTemplate('{{.A}}-{{.B}}').execute({ A: 'x', B: [1] })).toBe('x-[1]');
  });
});
