// Charts of the end-to-end benchmark (bench/e2e/run.ts calls writeCharts): a latency CDF and a tail
// plot per latency kind with one line per path, and bar charts for TCP throughput and 64 B packet
// rate with the issue's reference numbers as dashed lines. SVG always; PNG too when rsvg-convert
// (Debian librsvg2-bin) is installed.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { barChart, cdfChart, type Series } from '../plot.js';
import { ISSUE_REFERENCE, LATENCY_KINDS, LATENCY_TITLES, type PathSummary } from './results.js';

function hasRsvg(): boolean {
  return spawnSync('rsvg-convert', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Writes the charts into outDir and returns their file names (SVG, then PNG if made). */
export function writeCharts(outDir: string, paths: readonly PathSummary[], png: boolean): string[] {
  const measured = paths.filter((p) => p.status === 'measured');
  const files: Array<[string, string]> = [];
  for (const kind of LATENCY_KINDS) {
    const series: Series[] = measured.filter((p) => p.cdf?.[kind]?.length).map((p) => ({ name: p.path, points: p.cdf![kind] }));
    files.push([`e2e-cdf-${kind}.svg`, cdfChart(series, { title: `RTT CDF: ${LATENCY_TITLES[kind]}`, xLabel: 'round-trip time (us, log scale)' })]);
    files.push([`e2e-tail-${kind}.svg`, cdfChart(series, { title: `RTT tail: ${LATENCY_TITLES[kind]}`, xLabel: 'round-trip time (us, log scale)', yScale: 'tail' })]);
  }
  files.push([
    'e2e-tcp.svg',
    barChart(measured.map((p) => ({ label: p.path, value: p.tcpGbps ?? NaN })), {
      title: 'TCP throughput (iperf3, receiver)',
      yLabel: 'Gbit/s (log scale)',
      logY: true,
      refs: [
        { label: `issue: tinc ${ISSUE_REFERENCE.tinc.tcpGbps}`, value: ISSUE_REFERENCE.tinc.tcpGbps },
        { label: `issue: kernel ${ISSUE_REFERENCE.kernel.tcpGbps}`, value: ISSUE_REFERENCE.kernel.tcpGbps },
      ],
    }),
  ]);
  files.push([
    'e2e-pps.svg',
    barChart(measured.map((p) => ({ label: p.path, value: (p.pps ?? NaN) / 1000 })), {
      title: 'UDP 64 B packet rate (iperf3 -b 0, received)',
      yLabel: 'thousand packets/s',
      refs: [
        { label: `issue: tinc ${ISSUE_REFERENCE.tinc.pps / 1000}k`, value: ISSUE_REFERENCE.tinc.pps / 1000 },
        { label: `issue: kernel ${ISSUE_REFERENCE.kernel.pps / 1000}k`, value: ISSUE_REFERENCE.kernel.pps / 1000 },
      ],
    }),
  ]);
  const names: string[] = [];
  for (const [name, svg] of files) {
    writeFileSync(join(outDir, name), svg);
    names.push(name);
  }
  if (png && hasRsvg()) {
    for (const [name] of files) {
      const pngName = name.replace(/\.svg$/, '.png');
      const r = spawnSync('rsvg-convert', ['-o', join(outDir, pngName), join(outDir, name)], { stdio: 'ignore' });
      if (r.status === 0) names.push(pngName);
    }
  }
  return names;
}
