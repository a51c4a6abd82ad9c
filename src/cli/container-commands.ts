// `tsnet run|exec|ps|rm|inspect`: containers are network namespaces (Sandboxes) managed by the
// daemon. A detached `run -d` is started by the daemon; a foreground `run` and `exec` are started by
// this CLI process inside the namespace with the terminal attached, like `docker run` without -d.
import { spawn } from 'node:child_process';
import type { ApiClient } from '../api/client.js';
import type { ContainerInspect, ContainerSummary, RunResponse } from '../api/types.js';
import { badRequest } from '../errors.js';
import { bool, list, needPositionals, parseArgs, str } from './args.js';
import { ago, printInspected, shortId, table } from './format.js';
import { parseFilters, passes } from './filters.js';
import { renderTemplate } from './go-template.js';

type Out = (line: string) => void;

/** The argv that runs cmd inside a sandbox: `ip netns exec` for named namespaces (it also
 *  bind-mounts /etc/netns/NAME/{resolv.conf,hosts}), nsenter for namespaces given by path. */
export function commandInSandbox(s: { netnsName: string | null; netnsPath: string; utsPid?: number; hostname?: string }, cmd: string[]): string[] {
  const enter = s.netnsName ? ['ip', 'netns', 'exec', s.netnsName] : ['nsenter', `--net=${s.netnsPath}`];
  if (s.utsPid) return [...enter, 'nsenter', `--uts=/proc/${s.utsPid}/ns/uts`, '--', ...cmd];
  if (s.hostname) return [...enter, 'unshare', '--uts', '--', 'sh', '-c', 'hostname "$0" && exec "$@"', s.hostname, ...cmd];
  return [...enter, ...cmd];
}

/** Runs argv with the terminal; onSpawn gets the child's PID once it runs. Resolves to its exit code. */
function runForeground(argv: string[], onSpawn?: (pid: number) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    child.on('spawn', () => {
      if (child.pid !== undefined) onSpawn?.(child.pid);
    });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (err) => {
      process.stderr.write(`tsnet: cannot start ${argv[0]}: ${err.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 + 15 : 1));
    });
  });
}

export async function runCommand(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(
    argv,
    {
      detach: { short: 'd', type: 'boolean' },
      rm: { type: 'boolean' },
      name: { type: 'string' },
      net: { type: 'string' },
      network: { type: 'string' },
      ip: { type: 'string' },
      alias: { type: 'string', multiple: true },
      'network-alias': { type: 'string', multiple: true },
      hostname: { short: 'h', type: 'string' },
      publish: { short: 'p', type: 'string', multiple: true },
      // Docker's -i and -t: the command always has the terminal (stdin, stdout, stderr) of `tsnet run`
      interactive: { short: 'i', type: 'boolean' },
      tty: { short: 't', type: 'boolean' },
    },
    'tsnet run',
    { stopAtPositional: true },
  );
  if (a.positionals.length === 0) throw badRequest('EBAD_ARGS', 'usage: tsnet run [-d] [--rm] --name NAME [--net NETWORK] [--ip IP] [--alias NAME]... [--hostname H] [-p HOSTPORT:PORT]... -- CMD [ARG...]');
  const detach = bool(a, 'detach');
  const r = await api.post<RunResponse>('/v1/containers', {
    name: str(a, 'name'),
    network: str(a, 'net') ?? str(a, 'network'),
    ip: str(a, 'ip'),
    aliases: [...list(a, 'alias'), ...list(a, 'network-alias')],
    hostname: str(a, 'hostname'),
    publish: list(a, 'publish'),
    cmd: a.positionals,
    detach,
    autoRemove: bool(a, 'rm'),
  });
  if (detach) {
    out(r.Id);
    return 0;
  }
  // the daemon shows the container running while we wait (a failed report only leaves it "Created")
  let started: Promise<unknown> = Promise.resolve();
  const code = await runForeground(commandInSandbox({ netnsName: r.NetnsName, netnsPath: r.NetnsPath, hostname: r.Hostname }, a.positionals),
    (pid) => { started = api.post(`/v1/containers/${r.Id}/started`, { pid }).catch(() => undefined); });
  await started;
  if (bool(a, 'rm')) await api.delete(`/v1/containers/${r.Id}?force=1`);
  else await api.post(`/v1/containers/${r.Id}/exited`, { exitCode: code });
  return code;
}

export async function execCommand(api: ApiClient, argv: string[]): Promise<number> {
  // -i and -t as Docker's: the command always has this terminal
  const a = parseArgs(argv, { interactive: { short: 'i', type: 'boolean' }, tty: { short: 't', type: 'boolean' } }, 'tsnet exec', { stopAtPositional: true });
  if (a.positionals.length < 2) throw badRequest('EBAD_ARGS', 'usage: tsnet exec CONTAINER [--] CMD [ARG...]');
  const [name, ...rest] = a.positionals;
  const cmd = rest[0] === '--' ? rest.slice(1) : rest;
  const c = await api.get<ContainerInspect>(`/v1/containers/${encodeURIComponent(name!)}`);
  const netnsName = c.NetworkSettings.SandboxKey.startsWith('/run/netns/') ? c.NetworkSettings.SandboxKey.slice('/run/netns/'.length) : null;
  const utsPid = c.State.Running && c.Config.Hostname ? c.State.Pid : undefined;
  return runForeground(commandInSandbox({ netnsName, netnsPath: c.NetworkSettings.SandboxKey, utsPid }, cmd));
}

/** docker ps's PORTS column: `0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp`. */
const portsColumn = (ports: ContainerSummary['Ports']) => ports.map((p) => `${p.IP}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`).join(', ');

export async function psCommand(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(argv, {
    all: { short: 'a', type: 'boolean' }, quiet: { short: 'q', type: 'boolean' }, 'no-trunc': { type: 'boolean' }, filter: { short: 'f', type: 'string', multiple: true },
    format: { type: 'string' },
  }, 'tsnet ps');
  needPositionals(a, 0, 0, 'tsnet ps [-a] [-q] [--no-trunc] [-f KEY=VALUE]... [--format TEMPLATE]');
  const format = str(a, 'format');
  if (format !== undefined && format !== 'table' && !format.includes('{{')) throw badRequest('EBAD_FORMAT', `--format is table or a template such as '{{.Names}}', not "${format}".`);
  const filters = parseFilters(list(a, 'filter'), ['name', 'id', 'status', 'network'], 'tsnet ps');
  const all = await api.get<ContainerSummary[]>('/v1/containers');
  // as in Docker, a status filter shows stopped containers without -a
  const shown = all.filter((c) => (bool(a, 'all') || filters.has('status') || c.State === 'running') && passes(filters, { name: c.Name, id: c.Id, status: c.State, network: c.Networks }));
  const full = bool(a, 'no-trunc');
  const id = full ? (i: string) => i : shortId;
  const command = (c: string) => JSON.stringify(full || c.length <= 20 ? c : c.slice(0, 19) + '…');
  if (bool(a, 'quiet')) for (const c of shown) out(id(c.Id));
  else if (format !== undefined && format !== 'table') {
    // the placeholders of Docker's `ps --format`
    for (const c of shown) {
      out(renderTemplate(format, {
        ID: id(c.Id), Names: c.Name, Command: command(c.Command), CreatedAt: c.Created, RunningFor: ago(c.Created), Status: c.Status,
        State: c.State, Ports: portsColumn(c.Ports ?? []), Networks: c.Networks.join(','),
      }));
    }
  }
  else
    out(
      table(
        ['CONTAINER ID', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NETWORKS', 'NAMES'],
        shown.map((c) => [id(c.Id), command(c.Command), ago(c.Created), c.Status, portsColumn(c.Ports ?? []), c.Networks.join(','), c.Name]),
      ),
    );
  return 0;
}

export async function rmCommand(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(argv, { force: { short: 'f', type: 'boolean' } }, 'tsnet rm');
  needPositionals(a, 1, Infinity, 'tsnet rm [-f] CONTAINER [CONTAINER...]');
  for (const name of a.positionals) {
    await api.delete(`/v1/containers/${encodeURIComponent(name)}${bool(a, 'force') ? '?force=1' : ''}`);
    out(name);
  }
  return 0;
}

export async function inspectCommand(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(argv, { format: { short: 'f', type: 'string' } }, 'tsnet inspect');
  needPositionals(a, 1, Infinity, 'tsnet inspect [-f TEMPLATE] CONTAINER [CONTAINER...]');
  const results: ContainerInspect[] = [];
  for (const name of a.positionals) results.push(await api.get<ContainerInspect>(`/v1/containers/${encodeURIComponent(name)}`));
  printInspected(results, str(a, 'format'), out);
  return 0;
}
