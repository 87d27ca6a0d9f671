// The one command-line parser of every npm command (start, dev, load, evaluate, rollback, bench, demo):
// node:util.parseArgs in strict mode, behind rules that then hold everywhere. `--help` prints the usage
// (every option and an example) and exits 0; an unknown option or a bad value prints one line naming
// it, then the usage, and exits 2. A user's mistake never prints a stack trace: one means a bug.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
  /** One line for the usage text. */
  description: string;
  /** The value's placeholder in the usage text (string options), e.g. DIR. */
  value?: string;
}

export interface Command<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  /** How it is run, e.g. `npm run load --`. */
  invocation: string;
  summary: string;
  options: O;
  examples: string[];
}

/** Keeps each option's type literal, so parseCommand's values are typed per option. */
export function defineCommand<const O extends Record<string, OptionSpec>>(command: Command<O>): Command<O> {
  return command;
}

/** Exit code of a usage error, as the shells' own builtins use it. */
export const USAGE_EXIT_CODE = 2;

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean : string;
export type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K] extends { default: string | boolean } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
};

export function usageText(command: Command): string {
  const rows = Object.entries(command.options).map(([name, spec]) => {
    const flag = `--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    const fallback = spec.default !== undefined && spec.default !== false ? ` (default: ${String(spec.default)})` : '';
    return [flag, spec.description + fallback] as const;
  });
  rows.push(['--help', 'print this help and exit']);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    `usage: ${command.invocation} [options]`,
    '',
    ...wrap(command.summary, 100),
    '',
    'options:',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
    '',
    command.examples.length > 1 ? 'examples:' : 'example:',
    ...command.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

/** Prints `problem` and the usage to stderr and exits 2. For values a command finds wrong after parsing. */
export function usageError(command: Command, problem: string): never {
  process.stderr.write(`${problem}\n\n${usageText(command)}`);
  process.exit(USAGE_EXIT_CODE);
}

/** The command's option values from `args`; exits (0 on --help, 2 on a mistake) instead of returning when it should. */
export function parseCommand<O extends Record<string, OptionSpec>>(command: Command<O>, args: string[] = process.argv.slice(2)): Values<O> {
  const specs: Record<string, OptionSpec> = { ...command.options, help: { type: 'boolean', short: 'h', description: '' } };
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, { type, short, default: fallback }]) => [
      name,
      { type, ...(short ? { short } : {}), ...(fallback !== undefined ? { default: fallback } : {}) },
    ]),
  ) as ParseArgsConfig['options'];
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args, options, strict: true, allowPositionals: false }));
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS_')) throw error;
    // Node's messages go on to explain positionals after '--': the first sentence names the problem.
    usageError(command as Command, (error as Error).message.split('. ')[0].replace(/\.$/, ''));
  }
  if (values.help) {
    process.stdout.write(usageText(command as Command));
    process.exit(0);
  }
  delete values.help;
  return values as Values<O>;
}

/**
 * Whether the module at `moduleUrl` (its import.meta.url) is the script node was started with. Compared
 * as paths, not URLs: a URL percent-encodes spaces and other characters a path holds as they are.
 */
export function isMainModule(moduleUrl: string): boolean {
  const started = process.argv[1];
  if (started === undefined) return false;
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return resolve(path);
    }
  };
  const modulePath = real(fileURLToPath(moduleUrl));
  // tsx and node accept the script without its extension.
  return modulePath === real(started) || modulePath.replace(/\.[cm]?[jt]s$/, '') === resolve(started);
}

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
