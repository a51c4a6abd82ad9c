// The hosts-file lines the Docker plugin keeps (src/docker/hosts-file.ts): Docker's own lines stay
// untouched and in order, tsnet's lines (ending with the marker) are replaced as a whole.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HOSTS_MARKER, withTsnetLines } from '../../src/docker/hosts-file.js';

const t = suite('docker hosts file');
const DOCKERS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.77.0.2\tf637b17a0d78\n';
const line = (ip: string, names: string) => `${ip}\t${names}\t${HOSTS_MARKER}`;

t('appends tsnet lines after Docker lines', () => {
  const out = withTsnetLines(DOCKERS, [line('10.77.0.18', 'cb cb.multi')]);
  assert.is(out, `${DOCKERS}${line('10.77.0.18', 'cb cb.multi')}\n`);
});

t('replaces the previous tsnet lines, keeps lines Docker added after them', () => {
  const before = `${DOCKERS}${line('10.77.0.18', 'cb')}\n${line('10.77.0.19', 'cc')}\n10.77.0.40\tdocker-added\n`;
  const out = withTsnetLines(before, [line('10.77.0.19', 'cc')]);
  assert.is(out, `${DOCKERS}10.77.0.40\tdocker-added\n${line('10.77.0.19', 'cc')}\n`);
});

t('no entries: the file is Docker\'s again, byte for byte', () => {
  assert.is(withTsnetLines(`${DOCKERS}${line('10.77.0.18', 'cb')}\n`, []), DOCKERS);
  assert.is(withTsnetLines(DOCKERS, []), DOCKERS);
});

t('the same entries twice give the same text (nothing to write)', () => {
  const once = withTsnetLines(DOCKERS, [line('10.77.0.18', 'cb')]);
  assert.is(withTsnetLines(once, [line('10.77.0.18', 'cb')]), once);
});

t.run();
