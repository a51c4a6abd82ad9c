// `tsnet network create|ls|inspect|rm|connect|disconnect|rotate-key`: argv -> one API call -> Docker-shaped output.
import type { ApiClient } from '../api/client.js';
import type { NetworkCreateRequest, NetworkInspect, NetworkSummary } from '../api/types.js';
import { createInterface } from 'node:readline/promises';
import { badRequest, type TsnetError } from '../errors.js';
import { bool, keyValues, list, needPositionals, parseArgs, str } from './args.js';
import { printInspected, shortId, table } from './format.js';
import { renderTemplate } from './go-template.js';
import { parseFilters, passes } from './filters.js';
import { attachCommand, detachCommand } from './observe-commands.js';
import { commandUsage } from './usage.js';

type Out = (line: string) => void;

export async function networkCommand(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'create':
      return create(api, rest, out);
    case 'ls':
    case 'list':
      return ls(api, rest, out);
    case 'inspect':
      return inspect(api, rest, out);
    case 'rm':
    case 'remove':
      return rm(api, rest, out);
    case 'connect':
      return connect(api, rest);
    case 'disconnect':
      return disconnect(api, rest);
    case 'rotate-key':
      return rotateKey(api, rest, out);
    case 'prune':
      return prune(api, rest, out);
    case 'attach':
      return attachCommand(api, rest, out);
    case 'detach':
      return detachCommand(api, rest, out);
    case undefined:
      throw badRequest('EBAD_COMMAND', '`tsnet network` needs a verb: create, ls, inspect, rm, prune, connect, disconnect, rotate-key, attach or detach (see `tsnet network --help`).');
    case 'help':
    case '--help':
    case '-h':
      out(commandUsage('tsnet network'));
      return 0;
    default:
      throw badRequest('EBAD_COMMAND', `unknown command \`tsnet network ${verb}\`; use create, ls, inspect, rm, prune, connect, disconnect, rotate-key, attach or detach.`);
  }
}

async function create(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(
    argv,
    {
      driver: { short: 'd', type: 'string' },
      subnet: { type: 'string' },
      gateway: { type: 'string' },
      'ip-range': { type: 'string' },
      'aux-address': { type: 'string', multiple: true },
      opt: { short: 'o', type: 'string', multiple: true },
      internal: { type: 'boolean' },
      peer: { type: 'string', multiple: true },
      'ipam-driver': { type: 'string' },
      scope: { type: 'string' },
    },
    'tsnet network create',
  );
  needPositionals(a, 1, 1, 'tsnet network create [OPTIONS] NAME');
  const ipamDriver = str(a, 'ipam-driver');
  if (ipamDriver && ipamDriver !== 'default') throw badRequest('EBAD_IPAM_DRIVER', `unknown IPAM driver "${ipamDriver}"; tsnet has "default".`);
  const scope = str(a, 'scope');
  if (scope !== undefined && scope !== 'local' && scope !== 'global') throw badRequest('EBAD_SCOPE', `--scope must be local or global, not "${scope}".`);
  const req: NetworkCreateRequest = {
    name: a.positionals[0]!,
    driver: str(a, 'driver'),
    subnet: str(a, 'subnet'),
    gateway: str(a, 'gateway'),
    ipRange: str(a, 'ip-range'),
    auxAddresses: keyValues(list(a, 'aux-address'), '--aux-address'),
    options: keyValues(list(a, 'opt').map((o) => (o.includes('=') ? o : `${o}=true`)), '-o'),
    internal: bool(a, 'internal'),
    peers: list(a, 'peer'),
    scope,
  };
  const r = await api.post<{ Id: string }>('/v1/networks', req);
  out(r.Id);
  return 0;
}

async function ls(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(argv, {
    quiet: { short: 'q', type: 'boolean' }, format: { type: 'string' }, 'no-trunc': { type: 'boolean' }, filter: { short: 'f', type: 'string', multiple: true },
  }, 'tsnet network ls');
  needPositionals(a, 0, 0, 'tsnet network ls [-q] [--no-trunc] [-f KEY=VALUE]... [--format json|TEMPLATE]');
  const filters = parseFilters(list(a, 'filter'), ['name', 'id', 'driver', 'scope'], 'tsnet network ls');
  const nets = (await api.get<NetworkSummary[]>('/v1/networks')).filter((n) => passes(filters, { name: n.Name, id: n.Id, driver: n.Driver, scope: n.Scope }));
  const format = str(a, 'format');
  if (format !== undefined && format !== 'json' && format !== 'table' && !format.includes('{{')) {
    throw badRequest('EBAD_FORMAT', `--format is json, table or a template such as '{{.Name}}', not "${format}".`);
  }
  const id = bool(a, 'no-trunc') ? (i: string) => i : shortId;
  // the fields of Docker's `network ls --format` placeholders ({{.ID}} {{.Name}} {{.Driver}} {{.Scope}})
  const rows = nets.map((n) => ({ ID: id(n.Id), Name: n.Name, Driver: n.Driver, Scope: n.Scope }));
  if (bool(a, 'quiet')) for (const r of rows) out(r.ID);
  else if (format === 'json') for (const r of rows) out(JSON.stringify(r));
  else if (format !== undefined && format !== 'table') for (const r of rows) out(renderTemplate(format, r));
  else out(table(['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], rows.map((r) => [r.ID, r.Name, r.Driver, r.Scope])));
  return 0;
}

async function inspect(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(argv, { format: { short: 'f', type: 'string' } }, 'tsnet network inspect');
  needPositionals(a, 1, Infinity, 'tsnet network inspect [-f TEMPLATE] NETWORK [NETWORK...]');
  const results: NetworkInspect[] = [];
  for (const name of a.positionals) results.push(await api.get<NetworkInspect>(`/v1/networks/${encodeURIComponent(name)}`));
  printInspected(results, str(a, 'format'), out);
  return 0;
}

async function rm(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(argv, {}, 'tsnet network rm');
  needPositionals(a, 1, Infinity, 'tsnet network rm NETWORK [NETWORK...]');
  for (const name of a.positionals) {
    await api.delete(`/v1/networks/${encodeURIComponent(name)}`);
    out(name);
  }
  return 0;
}

async function connect(api: ApiClient, argv: string[]): Promise<number> {
  const a = parseArgs(argv, { ip: { type: 'string' }, alias: { type: 'string', multiple: true } }, 'tsnet network connect');
  needPositionals(a, 2, 2, 'tsnet network connect [--ip IP] [--alias NAME]... NETWORK CONTAINER');
  await api.post(`/v1/networks/${encodeURIComponent(a.positionals[0]!)}/connect`, {
    container: a.positionals[1]!,
    ip: str(a, 'ip'),
    aliases: list(a, 'alias'),
  });
  return 0;
}

async function disconnect(api: ApiClient, argv: string[]): Promise<number> {
  const a = parseArgs(argv, { force: { short: 'f', type: 'boolean' } }, 'tsnet network disconnect');
  needPositionals(a, 2, 2, 'tsnet network disconnect NETWORK CONTAINER');
  await api.post(`/v1/networks/${encodeURIComponent(a.positionals[0]!)}/disconnect`, { container: a.positionals[1]!, force: bool(a, 'force') });
  return 0;
}

/** The next key of an encrypted global network, made now; prints when senders switch to it. */
async function rotateKey(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(argv, {}, 'tsnet network rotate-key');
  needPositionals(a, 1, 1, 'tsnet network rotate-key NETWORK');
  const name = a.positionals[0]!;
  const r = await api.post<{ keyId: number; activeFrom: string }>(`/v1/networks/${encodeURIComponent(name)}/rotate-key`, {});
  out(`network ${name}: key ${r.keyId} made and sent to the members; every host sends with it from ${r.activeFrom}`);
  return 0;
}

/** Asks on the terminal; false without one (then the command wants -f). */
async function confirmed(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** `network prune [-f]`: removes every network no container uses (Docker's), after asking. */
async function prune(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(argv, { force: { short: 'f', type: 'boolean' } }, 'tsnet network prune');
  needPositionals(a, 0, 0, 'tsnet network prune [-f]');
  const warning = 'WARNING! This will remove all networks not used by at least one container.';
  if (!bool(a, 'force')) {
    if (!process.stdin.isTTY) throw badRequest('ECONFIRM', `${warning.slice(9, -1)}: add -f to do it without a terminal to ask on.`);
    if (!(await confirmed(`${warning}\nAre you sure you want to continue?`))) return 0;
  }
  const removed: string[] = [];
  for (const n of await api.get<NetworkSummary[]>('/v1/networks')) {
    try {
      await api.delete(`/v1/networks/${encodeURIComponent(n.Id)}`);
      removed.push(n.Name);
    } catch (err) {
      // in use (here or, for a global network, on another host): kept, as Docker keeps it
      if ((err as TsnetError).category !== 'conflict') throw err;
    }
  }
  if (removed.length) out(['Deleted Networks:', ...removed].join('\n'));
  return 0;
}
