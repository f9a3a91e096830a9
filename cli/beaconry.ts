// The `beaconry` command. `start` runs the server; every other command goes to the running server's
// admin socket when there is one, or opens the store itself when there is none (DuckDB lets one
// process write its files).
import { loadConfig, ConfigError, SETTINGS } from '../core/config.js';
import { Store } from '../aggregator/store/store.js';
import { callAdminSocket } from './admin-socket.js';
import { COMMANDS, UsageError, type Flags } from './commands.js';
import { readPasswordFromStdin } from '../dashboard/server/user-add.js';

const HELP = `beaconry — self-hosted, privacy-first analytics

  beaconry start                                  run the server (what npm start runs)
  beaconry site add <domain> [--timezone Europe/Berlin] [--retention 30]
  beaconry site list
  beaconry site update <site> [--timezone …] [--retention …] [--umami-id <uuid>]
  beaconry site delete <site>                     erase the site and all its data
  beaconry key create <site> [--name …] [--scopes ingest,stats]   prints a secret key once
  beaconry key list <site>
  beaconry key revoke <key id>
  beaconry user add <email> [--password-stdin]    create a dashboard account (else prints an invitation link)
  beaconry store pause|resume|flush               pause applying the log (backups)
  beaconry query "<SQL>"                          read-only SQL over the store

Add --json for machine-readable output. Settings come from the environment:
${Object.values(SETTINGS).map((s) => `  ${s.env.padEnd(28)} ${s.doc}`).join('\n')}
`;

function parseArgs(argv: string[]): { words: string[]; flags: Flags } {
  const words: string[] = [];
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (v !== undefined) flags[k] = v;
      else if (k === 'json' || k === 'help' || argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')) flags[k] = true;
      else flags[k] = argv[++i]!;
    } else words.push(a);
  }
  return { words, flags };
}

function print(result: unknown, json: boolean): void {
  const text = JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), json ? 0 : 2);
  process.stdout.write(`${text}\n`);
}

async function main(): Promise<number> {
  const { words, flags } = parseArgs(process.argv.slice(2));
  if (words.length === 0 || flags.help === true || words[0] === 'help') {
    process.stdout.write(HELP);
    return words.length === 0 && flags.help !== true ? 1 : 0;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`beaconry: invalid configuration: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (words[0] === 'start') {
    const { start } = await import('./start.js');
    const running = await start(config);
    let signalled = false;
    const shutdown = (): void => {
      if (signalled) process.exit(1);
      signalled = true;
      void running.stop().then(() => process.exit(0));
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
    return -1; // keep running
  }
  const two = `${words[0]} ${words[1] ?? ''}`.trim();
  const command = COMMANDS[two] ? two : COMMANDS[words[0]!] ? words[0]! : undefined;
  if (!command) {
    process.stderr.write(`beaconry: unknown command "${words.join(' ')}"\n\n${HELP}`);
    return 1;
  }
  const args = words.slice(command.split(' ').length);
  const json = flags.json === true;
  delete flags.json;
  // Read here, not in the command: with a server running, the command runs in the server process.
  if (flags['password-stdin'] === true) flags['password-stdin'] = await readPasswordFromStdin();
  const viaServer = await callAdminSocket(config.dataDir, { command, args, flags });
  if (viaServer) {
    if (!viaServer.ok) {
      process.stderr.write(`beaconry: ${viaServer.error}\n`);
      return 1;
    }
    print(viaServer.result, json);
    return 0;
  }
  const store = await Store.open(config.dataDir);
  try {
    print(await COMMANDS[command]!({ store, changed: async () => {} }, args, flags), json);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`beaconry: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`beaconry: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
