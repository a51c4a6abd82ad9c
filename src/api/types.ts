// Request and response shapes of the daemon API (shared by the server's handlers, the typed client,
// the CLI and the Docker plugin). Inspect outputs keep Docker's field names (see the seed).

export interface NetworkCreateRequest {
  name: string;
  driver?: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  auxAddresses?: Record<string, string>;
  options?: Record<string, string>;
  internal?: boolean;
  /** overlay with static peers (no discovery) */
  peers?: string[];
  /** global scope through discovery ('auto' picks global when the daemon is in a cluster) */
  scope?: 'local' | 'global';
}

export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  Internal: boolean;
  IPAM: {
    Driver: string;
    Config: Array<{ Subnet?: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> }>;
  };
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  /** tsnet's own data: switch counters, FDB size, peers */
  Tsnet: Record<string, unknown>;
}

export interface NetworkSummary {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
}

export interface ConnectRequest {
  container: string;
  ip?: string;
  aliases?: string[];
}

export interface DisconnectRequest {
  container: string;
  force?: boolean;
}

export interface RunRequest {
  name?: string;
  network?: string;
  ip?: string;
  aliases?: string[];
  hostname?: string;
  /** -p [HOSTIP:]HOSTPORT:PORT[/PROTO] values (control/published-ports.ts) */
  publish?: string[];
  cmd: string[];
  /** the daemon starts cmd (true) or the CLI runs it in the foreground (false) */
  detach: boolean;
  autoRemove?: boolean;
}

export interface RunResponse {
  Id: string;
  Name: string;
  NetnsName: string | null;
  NetnsPath: string;
  Hostname?: string;
}

export interface ContainerSummary {
  Id: string;
  Name: string;
  Command: string;
  Created: string;
  State: string;
  Status: string;
  Networks: string[];
  /** published ports, in the shape of Docker's container list */
  Ports: Array<{ IP: string; PrivatePort: number; PublicPort: number; Type: string }>;
}

export interface EndpointSettings {
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  MacAddress: string;
  Aliases: string[];
  Interface: string;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  State: { Status: string; Running: boolean; Pid: number; ExitCode: number; StartedAt: string; FinishedAt: string };
  Config: { Hostname: string; Cmd: string[] };
  NetworkSettings: {
    SandboxID: string;
    SandboxKey: string;
    /** Docker's shape: "80/tcp" -> [{ HostIp, HostPort }] for each port published (run -p) */
    Ports: Record<string, Array<{ HostIp: string; HostPort: string }>>;
    Networks: Record<string, EndpointSettings>;
  };
}

export interface InfoResponse {
  Version: string;
  Pid: number;
  StateDir: string;
  Socket: string;
  Networks: number;
  Containers: number;
  Cluster: null | { PeerId: string; Advertise: string; Hosts: Array<{ HostId: string; Address: string; State: string; LastSeen: string }> };
}
