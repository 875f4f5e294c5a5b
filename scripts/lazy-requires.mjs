// An esbuild plugin for the oclif bundle: each top-level `const x = require("y")` in a CommonJS
// package becomes a proxy that requires y on first use. @oclif/core's modules require most of
// oclif at the top; a help page or a flag error uses a part of it. Proxies forward every
// property access, `in`, and key enumeration (for __exportStar) to the loaded module.
import { readFileSync } from 'node:fs';

const HELPER =
  'function __tsctrLazy(load) {\n' +
  '  let m;\n' +
  '  const get = () => (m ??= load());\n' +
  '  return new Proxy({}, {\n' +
  '    get: (_, k) => get()[k],\n' +
  '    has: (_, k) => k in get(),\n' +
  '    ownKeys: () => Reflect.ownKeys(get()),\n' +
  '    getOwnPropertyDescriptor: (_, k) => {\n' +
  '      const d = Reflect.getOwnPropertyDescriptor(get(), k);\n' +
  '      return d && { ...d, configurable: true };\n' +
  '    },\n' +
  '  });\n' +
  '}\n';

const REQUIRE = /^(const|var) (\w+) = (__importDefault\()?require\("([^"]+)"\)\)?;$/gm;

export const lazyRequires = {
  name: 'lazy-requires',
  setup(b) {
    b.onLoad({ filter: /node_modules\/.*\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      let n = 0;
      const out = src.replace(REQUIRE, (_, kw, name, interop, spec) => {
        n++;
        const req = `require(${JSON.stringify(spec)})`;
        return `${kw} ${name} = __tsctrLazy(() => ${interop ? `__importDefault(${req})` : req});`;
      });
      return n ? { contents: HELPER + out, loader: 'js' } : undefined;
    });
  },
};
