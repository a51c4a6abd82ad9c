// Command-line options of the end-to-end benchmark (bench/e2e/run.ts). Full mode is the default;
// --quick shrinks every count so the whole run is a smoke test of a minute or two.
import { join } from 'node:path';
import { badRequest } from '../../src/errors.js';
import { PATH_IDS, type PathId } from './paths/index.js';
import { REPO_ROOT } from './where.js';

export interface Options {
  quick: boolean;
  rounds: number;
  /** ping packets per size per round (>= 2000 in full mode). */
  pingCount: number;
  /** prober and UDP request/response probes per round. */
  probes: number;
  /** iperf3 duration of each TCP and UDP run. */
  seconds: number;
  paths: PathId[];
  /** True when --paths named the paths (then an unavailable one is an error, not a skip). */
  pathsExplicit: boolean;
  outDir: string;
  png: boolean;
  /** --pin-hosts: each emulated host (its switch, its container's processes) on half the CPUs. */
  pinHosts: boolean;
}

// Our choice: the warm-up pings before each round, at the measured interval: they fill ARP caches
// and FDBs, and bring a JIT-compiled data path to optimized code (tsnet's first round without them:
// ping56 p50 412 us, the next two 254 and 221 us, 2026-11-28; tinc 202-223 in all three). Nothing
// from them is recorded. At 500 pings/s V8 was still optimizing tsnet's switch functions after 3000
// pings (`--trace-opt`: 51, 72, 81 and 85 functions optimized after 1000, 2000, 3000 and 4000), so
// the first round warms up longer.
export const WARMUP_PINGS = 500;
export const FIRST_ROUND_WARMUP_PINGS = 4000;

// Our choice: full and quick defaults.
const FULL = { rounds: 3, pingCount: 2000, probes: 10000, seconds: 5 };
const QUICK = { rounds: 1, pingCount: 200, probes: 500, seconds: 1 };

export const USAGE = `usage: node dist/bench/e2e/run.js [--quick] [--rounds N] [--count N] [--probes N] [--seconds S]
                                 [--paths veth,kernel,tinc,tinc-plain,tsnet,tsnet-poll,tsnet-daemon,tsnet-daemon-sealed] [--out DIR] [--no-png]
                                 [--pin-hosts]
  --quick      small counts (1 round, 200 pings, 500 probes, 1 s iperf3), results in bench/results/quick
  --rounds N   rounds; paths alternate A B C D A B C D ... and the report gives medians (default 3)
  --count N    ping packets per size per round (default 2000)
  --probes N   raw-socket prober and UDP request/response probes per round (default 10000)
  --seconds S  duration of each iperf3 run (default 5)
  --paths L    comma-separated subset, in this order (default: all; the tsnet paths are skipped if not built)
  --out DIR    where e2e.md, e2e.json and the charts go (default bench/results)
  --no-png     only SVG charts (PNG needs rsvg-convert from librsvg2-bin)
  --pin-hosts  host A's switch and container A's processes on the first half of the CPUs, host B's
               on the second half (taskset), for every path: two hosts that do not share CPUs
Run as root.`;

export function parseOptions(argv: readonly string[]): Options {
  const quick = argv.includes('--quick');
  const d = quick ? QUICK : FULL;
  const o: Options = {
    quick,
    ...d,
    paths: [...PATH_IDS],
    pathsExplicit: false,
    outDir: join(REPO_ROOT, 'bench', 'results', ...(quick ? ['quick'] : [])),
    png: true,
    pinHosts: false,
  };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw badRequest('EBENCH_ARG', `${flag} needs a whole number >= ${min}.`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') continue;
    else if (a === '--rounds') o.rounds = int(a, argv[++i], 1);
    else if (a === '--count') o.pingCount = int(a, argv[++i], 10);
    else if (a === '--probes') o.probes = int(a, argv[++i], 10);
    else if (a === '--seconds') o.seconds = int(a, argv[++i], 1);
    else if (a === '--out') o.outDir = argv[++i] ?? o.outDir;
    else if (a === '--no-png') o.png = false;
    else if (a === '--pin-hosts') o.pinHosts = true;
    else if (a === '--paths') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = list.filter((p) => !(PATH_IDS as readonly string[]).includes(p));
      if (list.length === 0 || bad.length) throw badRequest('EBENCH_ARG', `--paths takes a list of ${PATH_IDS.join(', ')}; got "${bad.join(',')}".`);
      o.paths = PATH_IDS.filter((p) => list.includes(p));
      o.pathsExplicit = true;
    } else if (a === '--help' || a === '-h') throw badRequest('EBENCH_HELP', USAGE);
    else throw badRequest('EBENCH_ARG', `unknown option ${a}; see --help.`);
  }
  return o;
}
