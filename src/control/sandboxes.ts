// Sandbox (container) verbs: run (a named namespace, its first endpoint, and a detached command or
// none when the CLI runs it in the foreground), adopt a user's own namespace on `network connect`,
// remove (process, interfaces, namespace, /etc/netns files), record a foreground command's start and
// exit. The process's life (start again, stop, logs) is in sandbox-lifecycle.ts.
import { existsSync } from 'node:fs';
import type { RunRequest } from '../api/types.js';
import { badRequest, conflict } from '../errors.js';
import type { ControllerCore } from './controller-core.js';
import { connectEndpoint, disconnectEndpoint } from './endpoints.js';
import { NAME_RE, newId } from './ids.js';
import type { SandboxRecord } from './model.js';
import { deleteNamedNetns, ensureNamedNetns, removeNetnsEtc, resolveNetnsTarget } from './netns.js';
import { killSandboxProcess, processStartTime } from './sandbox-process.js';
import { launchDetached, markExited, markRunning, refreshSandboxState } from './sandbox-lifecycle.js';
import { writeSandboxEtc } from './sandbox-etc.js';
import { assertCanPublish, checkHostPortsFree, parsePublishSpec, refreshPublishedPorts } from './published-ports.js';

const netnsPathOf = (name: string) => `/run/netns/${name}`;

function nameFor(core: ControllerCore, req: RunRequest): string {
  if (req.name === undefined) {
    for (;;) {
      const n = `tsnet_${Math.random().toString(36).slice(2, 8)}`;
      if (!core.state.sandboxes.some((s) => s.name === n)) return n;
    }
  }
  if (!NAME_RE.test(req.name)) throw badRequest('EBAD_NAME', `invalid container name "${req.name}": use letters, digits, '_', '.', '-' and start with a letter or digit.`);
  if (core.state.sandboxes.some((s) => s.name === req.name)) throw conflict('ECONTAINER_EXISTS', `the container name ${req.name} is already in use; remove it or choose another name.`);
  return req.name;
}

export async function runSandbox(core: ControllerCore, req: RunRequest): Promise<SandboxRecord> {
  if (!Array.isArray(req.cmd) || req.cmd.length === 0 || req.cmd.some((c) => typeof c !== 'string')) {
    throw badRequest('EBAD_CMD', 'tsnet run needs a command to run, e.g. `tsnet run --name web -- sleep infinity`.');
  }
  const name = nameFor(core, req);
  const net = req.network ? core.findNetwork(req.network) : undefined;
  if (!net && (req.ip || req.aliases?.length)) throw badRequest('EBAD_ARGS', '--ip and --alias need --net NETWORK.');
  const published = (req.publish ?? []).map(parsePublishSpec);
  if (published.length) {
    if (!net) throw badRequest('EBAD_ARGS', '-p needs --net NETWORK: ports are published through that network\'s gateway.');
    await assertCanPublish(core, net);
    checkHostPortsFree(core, published, {});
  }
  if (req.hostname !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,62}$/.test(req.hostname)) throw badRequest('EBAD_HOSTNAME', `invalid hostname "${req.hostname}".`);
  const netnsName = core.deps.netnsPrefix + name;
  if (existsSync(netnsPathOf(netnsName))) throw conflict('ENETNS_EXISTS', `a network namespace named ${netnsName} already exists; choose another container name.`);
  const s: SandboxRecord = {
    id: newId(),
    name,
    netnsName,
    netnsPath: netnsPathOf(netnsName),
    external: false,
    hostname: req.hostname,
    cmd: [...req.cmd],
    state: 'created',
    autoRemove: !!req.autoRemove,
    endpoints: [],
    ...(published.length ? { published } : {}),
    createdAt: new Date().toISOString(),
    pending: true,
  };
  core.state.sandboxes.push(s);
  await core.save().catch((err: unknown) => {
    core.state.sandboxes = core.state.sandboxes.filter((x) => x !== s); // not saved (disk full): forget it
    throw err;
  });
  try {
    await ensureNamedNetns(netnsName);
    core.events.emit('container', 'create', s.id, { name }); // before its network connect, as Docker's
    await writeSandboxEtc(core, s);
    if (net) await connectEndpoint(core, net, s, { ip: req.ip, aliases: req.aliases });
    if (req.detach) {
      launchDetached(core, s);
    }
    delete s.pending;
    await core.save();
  } catch (err) {
    await destroySandbox(core, s).catch(() => undefined);
    throw err;
  }
  core.deps.log(`container ${name} created${req.detach ? `, running ${s.cmd.join(' ')} as pid ${s.pid}` : ''}`);
  return s;
}

/** `network connect NET TARGET`: TARGET is a container, a named namespace, or a namespace path. */
export async function sandboxForConnect(core: ControllerCore, target: string): Promise<SandboxRecord> {
  try {
    return core.findSandboxOrNamespace(target);
  } catch {
    /* not a container: maybe a namespace of the user's */
  }
  const t = await resolveNetnsTarget(target);
  const s: SandboxRecord = {
    id: newId(),
    name: t.name ?? target.replace(/[^a-zA-Z0-9_.-]/g, '_').replace(/^_+/, ''),
    netnsName: t.name ?? null,
    netnsPath: t.path,
    external: true,
    cmd: [],
    state: 'created',
    autoRemove: false,
    endpoints: [],
    createdAt: new Date().toISOString(),
  };
  if (core.state.sandboxes.some((x) => x.name === s.name)) s.name = `${s.name}_${s.id.slice(0, 6)}`;
  core.state.sandboxes.push(s);
  return s;
}

/** Deletes a sandbox's interfaces, process, namespace (ours only) and record. */
export async function destroySandbox(core: ControllerCore, s: SandboxRecord): Promise<void> {
  if (s.state === 'running' && killSandboxProcess(s.pid, s.pidStartTime)) core.events.emit('container', 'die', s.id, { name: s.name, exitCode: '137' });
  await refreshPublishedPorts(core, s, { removing: true }).catch((err: Error) => core.deps.log(`container ${s.name}: its port rules stay: ${err.message}`));
  for (const ep of [...core.endpointsOfSandbox(s)]) {
    const net = core.networkOf(ep);
    if (net) await disconnectEndpoint(core, net, s);
  }
  if (!s.external && s.netnsName) {
    await deleteNamedNetns(s.netnsName).catch(() => undefined);
    await removeNetnsEtc(s.netnsName).catch(() => undefined);
  }
  core.state.sandboxes = core.state.sandboxes.filter((x) => x.id !== s.id);
  core.state.endpoints = core.state.endpoints.filter((e) => e.sandboxId !== s.id);
  await core.save();
  if (!s.external) core.events.emit('container', 'destroy', s.id, { name: s.name });
}

export async function removeSandbox(core: ControllerCore, ref: string, force: boolean): Promise<void> {
  const s = core.findSandbox(ref);
  refreshSandboxState(s);
  if (s.state === 'running' && !force) {
    throw conflict('ECONTAINER_RUNNING', `container ${s.name} is running; stop it first or use \`tsnet rm -f ${s.name}\`.`);
  }
  await destroySandbox(core, s);
  core.deps.log(`container ${s.name} removed`);
}

/** An external sandbox with no endpoints left is forgotten (the namespace is the user's). */
export async function forgetIfUnused(core: ControllerCore, s: SandboxRecord): Promise<void> {
  if (s.external && s.endpoints.length === 0) {
    core.state.sandboxes = core.state.sandboxes.filter((x) => x.id !== s.id);
    await core.save();
  }
}

/** A foreground `run`: the CLI started the container's process itself and reports its PID, so
 *  `ps` shows it running (and `stop` can end it) while the CLI waits for it. */
export async function recordStart(core: ControllerCore, ref: string, pid: number): Promise<void> {
  const s = core.findSandbox(ref);
  const startTime = Number.isInteger(pid) && pid > 1 ? processStartTime(pid) : undefined;
  if (startTime === undefined) {
    throw badRequest('EBAD_PID', `process ${pid} does not exist; report the PID of the container's running process.`);
  }
  markRunning(s, pid, startTime);
  await core.save();
  core.events.emit('container', 'start', s.id, { name: s.name });
}

/** The CLI ran a foreground command and reports how it ended. */
export async function recordExit(core: ControllerCore, ref: string, exitCode: number): Promise<void> {
  const s = core.findSandbox(ref);
  markExited(s, Number.isInteger(exitCode) ? exitCode : -1);
  await core.save();
  core.events.emit('container', 'die', s.id, { name: s.name, exitCode: String(s.exitCode) });
}
