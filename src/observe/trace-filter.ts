// The small filter language of `tsnet trace` and `tsnet capture`, in the spirit of tcpdump's:
//   arp | ip | ip6 | icmp | icmp6 | udp | tcp | vlan         protocol
//   host IP | src IP | dst IP                                   IPv4/IPv6 (or ARP sender/target) address
//   mac MAC                                                     source or destination MAC
//   port NAME                                                   a switch port: container name, label or port name
//   l4port N                                                    a UDP or TCP port
//   broadcast | multicast                                       destination kind
//   learned | moved | forwarded | flooded | dropped             what the switch did
//   and, or, not (also &&, ||, !), parentheses; adjacent terms are joined by `and`.
// compileFilter() turns the text into a predicate, or throws a bad-request TsnetError that says
// which word was not understood. Used by the trace and capture sessions (src/observe).
import { badRequest } from '../errors.js';
import { tryParseMac, macToString, tryParseIpv4 } from '../wire/index.js';
import type { FrameInfo } from './frame-summary.js';

/** What a filter sees besides the frame: the switch's action and the ports involved. */
export interface FilterContext {
  action: string;
  /** names that identify the input port (label, port name, container name) */
  inNames: readonly string[];
  /** names of the output port of a 'forwarded' frame */
  outNames: readonly string[];
}

export type TracePredicate = (f: FrameInfo, ctx: FilterContext) => boolean;

export interface CompiledFilter {
  readonly text: string;
  readonly test: TracePredicate;
  /** true when the filter needs the frame decoded (false for `port X` / action-only filters) */
  readonly needsFrame: boolean;
}

const ACTIONS = new Set(['learned', 'moved', 'forwarded', 'flooded', 'dropped']);
const PROTOS = new Set(['arp', 'ip', 'ip6', 'icmp', 'icmp6', 'udp', 'tcp', 'vlan']);

function tokenize(text: string): string[] {
  return text.replace(/\(/g, ' ( ').replace(/\)/g, ' ) ').replace(/&&/g, ' and ').replace(/\|\|/g, ' or ').replace(/!/g, ' not ')
    .split(/\s+/).filter(Boolean);
}

function normaliseIp(s: string): string | null {
  if (tryParseIpv4(s) !== null) return s;
  if (s.includes(':') && /^[0-9a-f:.]+$/i.test(s)) return s.toLowerCase();
  return null;
}

class Parser {
  private i = 0;
  needsFrame = false;
  constructor(private readonly toks: string[]) {}

  parse(): TracePredicate {
    const p = this.or();
    if (this.i < this.toks.length) throw badRequest('EBAD_FILTER', `unexpected "${this.toks[this.i]}" in the filter; combine terms with and, or, not and parentheses.`);
    return p;
  }

  private peek(): string | undefined {
    return this.toks[this.i]?.toLowerCase();
  }

  private or(): TracePredicate {
    let left = this.and();
    while (this.peek() === 'or') {
      this.i++;
      const l = left;
      const r = this.and();
      left = (f, c) => l(f, c) || r(f, c);
    }
    return left;
  }

  private and(): TracePredicate {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t === undefined || t === 'or' || t === ')') return left;
      if (t === 'and') this.i++;
      const l = left;
      const r = this.unary();
      left = (f, c) => l(f, c) && r(f, c);
    }
  }

  private unary(): TracePredicate {
    const t = this.peek();
    if (t === 'not') {
      this.i++;
      const inner = this.unary();
      return (f, c) => !inner(f, c);
    }
    if (t === '(') {
      this.i++;
      const inner = this.or();
      if (this.peek() !== ')') throw badRequest('EBAD_FILTER', 'a "(" in the filter has no matching ")".');
      this.i++;
      return inner;
    }
    return this.term();
  }

  private arg(word: string, what: string): string {
    const v = this.toks[this.i++];
    if (v === undefined || v === '(' || v === ')') throw badRequest('EBAD_FILTER', `"${word}" in the filter needs ${what} after it.`);
    return v;
  }

  private term(): TracePredicate {
    const raw = this.toks[this.i++];
    if (raw === undefined) throw badRequest('EBAD_FILTER', 'the filter ends where a term was expected.');
    const w = raw.toLowerCase();
    if (PROTOS.has(w)) {
      this.needsFrame = true;
      switch (w) {
        case 'arp': return (f) => f.l3 === 'arp';
        case 'ip': return (f) => f.l3 === 'ip';
        case 'ip6': return (f) => f.l3 === 'ip6';
        case 'vlan': return (f) => f.vlan >= 0;
        default: return (f) => f.l4 === w;
      }
    }
    if (ACTIONS.has(w)) return (_f, c) => c.action === w;
    if (w === 'broadcast') {
      this.needsFrame = true;
      return (f) => f.dst === 'ff:ff:ff:ff:ff:ff';
    }
    if (w === 'multicast') {
      this.needsFrame = true;
      return (f) => f.dst !== '' && (parseInt(f.dst.slice(0, 2), 16) & 1) === 1;
    }
    if (w === 'host' || w === 'src' || w === 'dst') {
      this.needsFrame = true;
      const v = this.arg(w, 'an IP address');
      const ip = normaliseIp(v);
      if (ip === null) throw badRequest('EBAD_FILTER', `"${v}" after "${w}" is not an IP address.`);
      if (w === 'src') return (f) => f.ipSrc === ip;
      if (w === 'dst') return (f) => f.ipDst === ip;
      return (f) => f.ipSrc === ip || f.ipDst === ip;
    }
    if (w === 'mac' || w === 'ether') {
      this.needsFrame = true;
      const v = this.arg(w, 'a MAC address');
      const n = tryParseMac(v);
      if (n === null) throw badRequest('EBAD_FILTER', `"${v}" after "${w}" is not a MAC address; write it like 02:42:ac:11:00:02.`);
      const mac = macToString(n);
      return (f) => f.src === mac || f.dst === mac;
    }
    if (w === 'l4port') {
      this.needsFrame = true;
      const v = this.arg(w, 'a port number');
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw badRequest('EBAD_FILTER', `"${v}" after "l4port" is not a UDP/TCP port number.`);
      return (f) => f.sport === n || f.dport === n;
    }
    if (w === 'port') {
      const name = this.arg(w, 'a port or container name');
      return (_f, c) => portMatches(name, c);
    }
    throw badRequest('EBAD_FILTER', `"${raw}" is not a filter term; use arp, ip, ip6, icmp, udp, tcp, host IP, mac MAC, port NAME, flooded, dropped...`);
  }
}

/** True if the frame entered or left through the named port (a flood leaves through every port but its input). */
export function portMatches(name: string, c: FilterContext): boolean {
  if (c.inNames.includes(name)) return true;
  if (c.action === 'forwarded') return c.outNames.includes(name);
  return c.action === 'flooded';
}

/** Compiles a filter; '' (or only whitespace) matches everything. */
export function compileFilter(text: string): CompiledFilter {
  const toks = tokenize(text);
  if (toks.length === 0) return { text: '', test: () => true, needsFrame: false };
  const p = new Parser(toks);
  const test = p.parse();
  return { text, test, needsFrame: p.needsFrame };
}
