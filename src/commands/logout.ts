import { Args, Flags } from '../cli/flags.ts';
import { TsctrCommand } from '../cli/command.ts';
import { TsctrError } from '../errors.ts';
import { logout, logoutAll } from '../registry/login.ts';

export default class Logout extends TsctrCommand {
  static override summary = 'Log out from a registry';
  static override examples = [
    '<%= config.bin %> logout 127.0.0.1:5000',
    '<%= config.bin %> logout --all',
  ];
  static override usage = '[OPTIONS] [SERVER]';
  static override args = {
    server: Args.string({ description: 'registry (default docker.io)' }),
  };
  static override flags = {
    all: Flags.boolean({
      char: 'a',
      description:
        "Remove the credentials of every registry from the authentication file and from the helpers registries.conf's credential-helpers lists",
    }),
    authfile: Flags.string({
      description:
        'Path of the authentication file, the only place credentials are used when set (default $XDG_RUNTIME_DIR/containers/auth.json; REGISTRY_AUTH_FILE overrides it)',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(Logout);
    const opts = flags.authfile ? { authfile: flags.authfile } : {};
    if (flags.all) {
      if (args.server !== undefined) {
        throw new TsctrError('--all takes no SERVER', {
          exitCode: 1,
          hint: `run 'tsctr logout ${args.server}' or 'tsctr logout --all'`,
        });
      }
      await logoutAll(opts);
      this.out('Removed login credentials for all registries');
      return;
    }
    const r = await logout(args.server, opts);
    // Older docker CLIs said this when nothing was stored; it is no failure.
    this.out(
      r.removed ? `Removing login credentials for ${r.server}` : `Not logged in to ${r.server}`,
    );
  }
}
