// `tsnet info` and `tsnet stats NETWORK`.
import type { ApiClient } from '../api/client.js';
import type { InfoResponse } from '../api/types.js';
import { needPositionals, parseArgs } from './args.js';
import { json } from './format.js';

type Out = (line: string) => void;

export async function infoCommand(api: ApiClient, argv: string[], out: Out): Promise<number> {
  needPositionals(parseArgs(argv, {}, 'tsnet info'), 0, 0, 'tsnet info');
  const i = await api.get<InfoResponse>('/v1/info');
  out(`Version: ${i.Version}`);
  out(`Daemon PID: ${i.Pid}`);
  out(`State dir: ${i.StateDir}`);
  out(`Socket: ${i.Socket}`);
  out(`Networks: ${i.Networks}`);
  out(`Containers: ${i.Containers}`);
  if (i.Cluster) {
    out(`Cluster peer id: ${i.Cluster.PeerId}`);
    out(`Advertise: ${i.Cluster.Advertise}`);
    out(`Nodes: ${i.Cluster.Hosts.length}`);
    for (const h of i.Cluster.Hosts) out(` ${h.HostId}: ${h.Address} (${h.State}, last seen ${h.LastSeen})`);
  } else out('Cluster: none (single host)');
  return 0;
}

export async function statsCommand(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(argv, {}, 'tsnet stats');
  needPositionals(a, 1, 1, 'tsnet stats NETWORK');
  out(json(await api.get(`/v1/networks/${encodeURIComponent(a.positionals[0]!)}/stats`)));
  return 0;
}
