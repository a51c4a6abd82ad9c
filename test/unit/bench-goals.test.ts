// The e2e bench's goals (bench/e2e/results.ts evaluateGoals): each goal is judged against the best
// tinc measured for that metric, with or without its cipher, and says which one it was.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bestPeer, evaluateGoals, p50RatiosPerRound, type PathSummary, type RoundResult } from '../../bench/e2e/results.js';
import type { PathId } from '../../bench/e2e/paths/index.js';
import type { LatencyStats } from '../../bench/e2e/stats.js';

function stats(p50: number, p999: number): LatencyStats {
  return { count: 2000, lost: 0, p50, p90: p50, p99: p50, p999, max: p999 };
}

function path(id: PathId, p50: number, tcpGbps: number, pps: number, status: PathSummary['status'] = 'measured'): PathSummary {
  const l = stats(p50, 2000);
  return {
    path: id, label: id, status, roundsMeasured: 3, tcpGbps, pps,
    latency: { ping56: l, ping1400: l, prober56: l, prober1400: l, udpRr: l },
  };
}

const byName = (goals: ReturnType<typeof evaluateGoals>) => new Map(goals.map((g) => [g.name, g]));

test('each goal takes the better tinc for its metric and names it', () => {
  // tinc-plain is faster on TCP, tinc (with its cipher) on ping and packet rate.
  const goals = byName(evaluateGoals([path('tinc', 140, 0.4, 34_000), path('tinc-plain', 160, 0.6, 30_000), path('tsnet', 100, 1.1, 60_000)], null));
  const p50 = goals.get('tsnet: ping p50 <= 0.75 x tinc')!;
  assert.is(p50.met, true);
  assert.match(p50.detail, /0\.75 x 140 us \(tinc\)/);
  const tcp = goals.get('tsnet: TCP >= 2 x tinc')!;
  assert.is(tcp.met, false, '1.1 Gbit/s is more than 2 x tinc but less than 2 x tinc-plain');
  assert.match(tcp.detail, /2 x 0\.600 Gbit\/s \(tinc-plain\)/);
  const pps = goals.get('tsnet: 64 B pps >= 1.5 x tinc')!;
  assert.is(pps.met, true);
  assert.match(pps.detail, /\(tinc\)/);
});

test('a failed or skipped tinc path is not a peer; with no peer the goals are not judged', () => {
  const goals = byName(evaluateGoals([path('tinc', 50, 5, 200_000, 'failed'), path('tinc-plain', 140, 0.5, 30_000), path('tsnet', 100, 1.1, 60_000)], null));
  assert.is(goals.get('tsnet: ping p50 <= 0.75 x tinc')!.met, true, 'judged against tinc-plain, not the failed tinc');
  const none = byName(evaluateGoals([path('tsnet', 100, 1.1, 60_000)], null));
  assert.is(none.get('tsnet: TCP >= 2 x tinc')!.met, null);
  assert.is(none.get('tsnet: ping p99.9 < 300 us')!.met, false, 'the absolute goal needs no peer');
});

test('bestPeer skips missing values and picks by direction', () => {
  const peers = [path('tinc', 140, NaN, 34_000), path('tinc-plain', 160, 0.6, 36_000)];
  assert.equal(bestPeer(peers, (p) => p.latency?.ping56.p50, 'lower'), { path: 'tinc', value: 140 });
  assert.equal(bestPeer(peers, (p) => p.tcpGbps, 'higher'), { path: 'tinc-plain', value: 0.6 });
  assert.is(bestPeer([], (p) => p.pps, 'higher'), undefined);
});

function round(id: PathId, n: number, p50: number): RoundResult {
  const l = stats(p50, 2000);
  return {
    path: id, round: n, latency: { ping56: l, ping1400: l, prober56: l, prober1400: l, udpRr: l }, tcpGbps: 1,
    packetRate: {} as RoundResult['packetRate'],
  };
}

test('per round, the p50 is set against the faster tinc of that round, and the goal says how many rounds met it', () => {
  const rounds = [
    round('tinc', 1, 120), round('tinc-plain', 1, 100), round('tsnet', 1, 70),
    round('tinc', 2, 110), round('tinc-plain', 2, 130), round('tsnet', 2, 99),
    round('tinc', 3, 100), round('tinc-plain', 3, 100), round('tsnet', 3, 150),
  ];
  assert.equal(p50RatiosPerRound('tsnet', ['tinc', 'tinc-plain'], rounds), [0.7, 0.9, 1.5]);
  assert.equal(p50RatiosPerRound('tsnet', ['tinc-plain'], rounds), [0.7, 99 / 130, 1.5], 'only the peers given count');
  const goals = byName(evaluateGoals([path('tinc', 110, 0.4, 34_000), path('tinc-plain', 100, 0.6, 30_000), path('tsnet', 99, 1.1, 60_000)], null, rounds));
  assert.match(goals.get('tsnet: ping p50 <= 0.75 x tinc')!.detail, /rounds meeting it: 1 of 3 \(x 0\.70, 0\.90, 1\.50\)$/);
});

test('the encrypted daemon is held against tinc with its cipher only', () => {
  const goals = byName(evaluateGoals([path('tinc', 140, 0.4, 34_000), path('tinc-plain', 100, 0.6, 40_000), path('tsnet-daemon-sealed', 100, 1.0, 55_000)], null));
  assert.match(goals.get('tsnet-daemon-sealed: TCP >= 2 x tinc')!.detail, /2 x 0\.400 Gbit\/s \(tinc\)/);
  assert.is(goals.get('tsnet-daemon-sealed: ping p50 <= 0.75 x tinc')!.met, true, '100 <= 0.75 x 140');
});

test.run();
