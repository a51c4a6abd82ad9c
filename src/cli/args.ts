// A small argv parser for tsnet's Docker-shaped commands: long and short flags, repeatable flags,
// `--flag=value` and `--flag value`, boolean flags, and commands such as `run` whose positionals end
// flag parsing (`tsnet run --net n busybox ping -c 1 x`, with or without `--`). node:util parseArgs
// cannot stop at the first positional, hence this file. Errors are one sentence, exit code 2.
import { badRequest } from '../errors.js';

export interface FlagSpec {
  short?: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

export interface ParsedArgs {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** `--help` (or `-h` where it is not a flag of the command) was given: main prints the command's
 *  usage (usage.ts commandUsage) and exits 0 instead of running it. */
export class HelpRequested extends Error {
  constructor(readonly command: string, readonly specs: FlagSpecs) {
    super(`usage of ${command}`);
  }
}

export function parseArgs(argv: readonly string[], specs: FlagSpecs, command: string, opts: { stopAtPositional?: boolean } = {}): ParsedArgs {
  const flags: ParsedArgs['flags'] = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, s] of Object.entries(specs)) if (s.short) byShort.set(s.short, name);
  for (const [name, s] of Object.entries(specs)) if (s.multiple) flags[name] = [];

  let i = 0;
  for (; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === '--') {
      positionals.push(...argv.slice(i + 1));
      return { flags, positionals };
    }
    if (!tok.startsWith('-') || tok === '-') {
      positionals.push(tok);
      if (opts.stopAtPositional) {
        positionals.push(...argv.slice(i + 1));
        return { flags, positionals };
      }
      continue;
    }
    if (tok === '--help' || (tok === '-h' && !byShort.has('h'))) throw new HelpRequested(command, specs);
    let name: string | undefined;
    let inline: string | undefined;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
      inline = eq >= 0 ? tok.slice(eq + 1) : undefined;
    } else {
      const short = tok.slice(1, 2);
      name = byShort.get(short);
      inline = tok.length > 2 ? tok.slice(2).replace(/^=/, '') : undefined;
      if (name && specs[name]!.type === 'boolean' && inline !== undefined) {
        // combined booleans as Docker takes them: -it, -qa
        const names = [...tok.slice(1)].map((c) => byShort.get(c));
        if (names.some((n) => n === undefined || specs[n]!.type !== 'boolean')) throw badRequest('EBAD_FLAG', `unknown flag ${tok} for \`${command}\`; see \`${command} --help\`.`);
        for (const n of names) flags[n!] = true;
        continue;
      }
    }
    const spec = name ? specs[name] : undefined;
    if (!name || !spec) throw badRequest('EBAD_FLAG', `unknown flag ${tok} for \`${command}\`; see \`${command} --help\`.`);
    let value: string | boolean;
    if (spec.type === 'boolean') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') {
        throw badRequest('EBAD_FLAG', `flag --${name} of \`${command}\` takes no value.`);
      }
      value = inline === undefined ? true : inline === 'true';
    } else if (inline !== undefined) value = inline;
    else {
      const next = argv[i + 1];
      if (next === undefined) throw badRequest('EBAD_FLAG', `flag --${name} of \`${command}\` needs a value.`);
      value = next;
      i++;
    }
    if (spec.multiple) (flags[name] as string[]).push(String(value));
    else flags[name] = value;
  }
  return { flags, positionals };
}

export const str = (a: ParsedArgs, name: string): string | undefined => a.flags[name] as string | undefined;
export const bool = (a: ParsedArgs, name: string): boolean => a.flags[name] === true;
export const list = (a: ParsedArgs, name: string): string[] => (a.flags[name] as string[] | undefined) ?? [];

/** An integer flag in [min, max], or undefined when absent. */
export function intFlag(a: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = str(a, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw badRequest('EBAD_FLAG', `--${name} must be an integer from ${min} to ${max}, got "${v}".`);
  return n;
}

/** `--busy-poll US` of the commands that run a data plane (tsnet switch, tsnet daemon). */
export const BUSY_POLL_FLAG_MAX_US = 100_000;
/** `--busy-poll-ahead US` of the same commands (our choice: it only runs for periods of at least
 *  8 x this, native/busy_poll.c, and 10 ms already needs an 80 ms period). */
export const BUSY_POLL_AHEAD_FLAG_MAX_US = 10_000;

/** Parses repeated KEY=VALUE flags (-o, --aux-address) into a record. */
export function keyValues(items: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw badRequest('EBAD_FLAG', `${flag} expects KEY=VALUE, got "${item}".`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export function needPositionals(a: ParsedArgs, min: number, max: number, usage: string): void {
  if (a.positionals.length < min || a.positionals.length > max) {
    throw badRequest('EBAD_ARGS', `usage: ${usage}`);
  }
}
