import { Args, Flags } from '../cli/flags.ts';
import { TsctrCommand } from '../cli/command.ts';
import {
  promptHidden,
  promptLine,
  readSecretFromStdin,
  stdinIsTerminal,
} from '../cli/login-prompt.ts';
import { TsctrError } from '../errors.ts';
import { login } from '../registry/login.ts';

// docker's wording (cli/config/credentials/file_store.go), printed when a password was written
// to a file rather than to a credential helper.
const UNENCRYPTED_WARNING = (file: string) =>
  `\nWARNING! Your credentials are stored unencrypted in '${file}'.\n` +
  'Configure a credential helper to remove this warning. See\n' +
  'https://docs.docker.com/go/credential-store/\n\n';

function usage(message: string): TsctrError {
  // docker returns these from RunE, which exits 1 (pflag's own errors exit 125).
  return new TsctrError(message, { exitCode: 1 });
}

export default class Login extends TsctrCommand {
  static override summary = 'Authenticate to a registry';
  static override examples = [
    '<%= config.bin %> login 127.0.0.1:5000 -u me --password-stdin < token.txt',
    '<%= config.bin %> login --authfile ./auth.json registry.example',
  ];
  static override usage = '[OPTIONS] [SERVER]';
  static override args = {
    server: Args.string({ description: 'registry (default docker.io)' }),
  };
  static override flags = {
    authfile: Flags.string({
      description:
        'Path of the authentication file, the only place credentials are used when set (default $XDG_RUNTIME_DIR/containers/auth.json; REGISTRY_AUTH_FILE overrides it)',
    }),
    password: Flags.string({
      char: 'p',
      description: 'Password or Personal Access Token (PAT), or "-" to read from stdin',
    }),
    'password-stdin': Flags.boolean({
      description: 'Take the Password or Personal Access Token (PAT) from stdin',
    }),
    'tls-verify': Flags.boolean({
      default: true,
      description: 'Require HTTPS and verify certificates when contacting the registry',
    }),
    username: Flags.string({ char: 'u', description: 'Username' }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(Login);
    const { username } = flags;
    let { password } = flags;
    let fromStdin = flags['password-stdin'] || password === '-';
    // docker's verifyLoginFlags and verifyLoginOptions, in their order.
    if (fromStdin) {
      if (password !== undefined && password !== '-') {
        throw usage('conflicting options: cannot specify both --password and --password-stdin');
      }
      if (username === undefined) {
        throw usage('the --password-stdin option requires --username to be set');
      }
    }
    if (username !== undefined && username === '') throw usage('username is empty');
    if (password !== undefined && password === '') throw usage('password is empty');
    if (password === '-') {
      password = undefined;
      fromStdin = true;
    }
    if (password !== undefined) {
      this.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.');
    }
    if (fromStdin) {
      password = readSecretFromStdin();
      if (password.trim() === '') throw usage('password is empty');
    }
    const interactive = stdinIsTerminal() && !fromStdin;
    const result = await login(args.server, {
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(flags.authfile ? { authfile: flags.authfile } : {}),
      ...(flags['tls-verify'] ? {} : { tlsVerify: false }),
      ...(interactive
        ? {
            prompt: {
              username: (fallback) =>
                Promise.resolve(promptLine(fallback ? `Username (${fallback}): ` : 'Username: ')),
              password: () => Promise.resolve(promptHidden('Password: ')),
            },
          }
        : {}),
      onNotice: (line) => this.err(line),
    });
    if (result.stored && !result.stored.helper) {
      this.err(UNENCRYPTED_WARNING(result.stored.file));
    }
    this.out('Login Succeeded');
  }
}
