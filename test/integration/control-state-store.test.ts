// Integration test of the state store (src/control/state-store.ts) on a full disk: a tiny tmpfs
// mounted for the test makes the save fail with ENOSPC deterministically; the error must be
// ESTATE_DISK_FULL naming the directory, the previous state must stay intact and no temp file may stay.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsnetError } from '../../src/errors.js';
import { createStateStore } from '../../src/control/state-store.js';
import { cleanupAll, onCleanup, sh, trySh } from '../helpers/netns.js';

const t = suite('control state store on a full disk');
t.after(() => cleanupAll());

t('ENOSPC gives ESTATE_DISK_FULL and leaves the previous state intact', async () => {
  const mnt = mkdtempSync(join(tmpdir(), 'tsnet-full-'));
  onCleanup(() => rmdirSync(mnt));
  sh('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tsnet-test', mnt]);
  onCleanup(() => trySh('umount', [mnt]));
  const dir = join(mnt, 'state');
  const store = createStateStore<{ blob: string }>(dir);
  await store.save({ blob: 'small' });
  try {
    await store.save({ blob: 'x'.repeat(256 * 1024) });
    assert.unreachable('the save should not fit');
  } catch (err) {
    assert.instance(err, TsnetError);
    const e = err as TsnetError;
    assert.is(e.code, 'ESTATE_DISK_FULL');
    assert.is(e.message, `cannot save state to ${dir}: no space left on device.`);
  }
  assert.equal(await createStateStore<{ blob: string }>(dir).load(), { blob: 'small' });
  assert.ok(readdirSync(dir).every((n) => !n.endsWith('.tmp')), readdirSync(dir).join(','));
  // once there is room again, saving works
  await store.save({ blob: 'after' });
  assert.equal(await store.load(), { blob: 'after' });
});

t.run();
