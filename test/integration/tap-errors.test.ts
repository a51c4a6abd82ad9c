// Failure paths of the native TAP addon with real kernel objects: bad names and namespaces give
// typed TsnetErrors, close() is idempotent (also from inside the reader's callback), and a TAP
// whose namespace is deleted reports ETAP_GONE through onError instead of crashing the process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { TapDevice, TapReadBatch } from '../../src/native/tap.js';
import { TsnetError } from '../../src/errors.js';
import { cleanupAll, ip, onCleanup, trySh, uniqueName } from '../helpers/netns.js';
import { tapInNamespace } from '../helpers/tap-in-namespace.js';

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function openError(opts: Parameters<typeof TapDevice.open>[0]): TsnetError {
  try {
    TapDevice.open(opts).close();
  } catch (e) {
    assert.instance(e, TsnetError);
    return e as TsnetError;
  }
  throw new Error(`open(${JSON.stringify(opts)}) should have failed`);
}

test('bad names and namespaces are typed errors', () => {
  try {
    const long = openError({ name: 'a-name-far-too-long-for-linux' });
    assert.is(long.code, 'ETAP_BAD_NAME');
    assert.is(long.category, 'bad-request');
    assert.is(openError({ name: 'a/b' }).category, 'bad-request');
    const notTap = openError({ name: 'lo' }); // exists, but is not a TAP
    assert.is(notTap.code, 'ETAP_BAD_NAME');
    assert.is(notTap.category, 'bad-request');
    assert.is(openError({ name: uniqueName('tnone'), attach: true }).code, 'ETAP_NOT_FOUND');
    const noNs = openError({ name: 'x', netnsPath: `/var/run/netns/${uniqueName('nope')}` });
    assert.is(noNs.code, 'ENETNS_NOT_FOUND');
    assert.is(noNs.category, 'not-found');
    const notNs = openError({ name: 'x', netnsPath: '/proc/self/status' });
    assert.is(notNs.code, 'ENETNS_INVALID');
    assert.is(notNs.category, 'bad-request');
  } finally {
    cleanupAll();
  }
});

test('close() twice is safe and a closed TAP refuses work without crashing', () => {
  try {
    const name = uniqueName('tcls');
    onCleanup(() => trySh('ip', ['link', 'del', name]));
    const tap = TapDevice.open({ name });
    tap.close();
    tap.close();
    assert.ok(tap.closed);
    assert.is(trySh('ip', ['link', 'show', 'dev', name]).status === 0, false, 'the interface is gone');
    assert.is(tap.write(Buffer.alloc(60), 0, 60), false);
    assert.is(tap.writeBatch(Buffer.alloc(60), Int32Array.of(0), Int32Array.of(60), 1), 0);
    tap.stopReading();
    try {
      tap.startReading(new TapReadBatch(1), () => undefined, () => undefined);
      assert.unreachable('startReading on a closed TAP');
    } catch (e) {
      assert.is((e as TsnetError).code, 'ETAP_CLOSED');
    }
  } finally {
    cleanupAll();
  }
});

test('close() from inside the batch callback stops the reader safely', async () => {
  try {
    const { tap, ns } = tapInNamespace('tcin', '10.96.0.2/24');
    let batches = 0;
    tap.startReading(new TapReadBatch(4), () => {
      batches++;
      tap.close();
      tap.close();
    }, () => undefined);
    const pinging = new Promise<void>((resolve) => execFile('ip', ['netns', 'exec', ns, 'ping', '-c', '3', '-i', '0.2', '-W', '1', '10.96.0.1'], () => resolve()));
    await until(() => batches > 0, 'a first batch');
    await pinging; // more frames were sent after close(): none may be delivered
    assert.is(batches, 1);
    assert.ok(tap.closed);
    assert.not.ok(tap.reading);
    assert.is(trySh('ip', ['-n', ns, 'link', 'show', 'dev', 'eth0']).status === 0, false, 'eth0 went with the fd');
  } finally {
    cleanupAll();
  }
});

test('deleting the namespace of a reading TAP reports ETAP_GONE through onError', async () => {
  try {
    const { tap, ns } = tapInNamespace('tgone', '10.96.0.2/24');
    let gone: TsnetError | null = null;
    let errors = 0;
    tap.startReading(new TapReadBatch(4), () => undefined, (err) => {
      errors++;
      gone = err;
    });
    ip('netns', 'del', ns);
    await until(() => gone !== null, 'onError after the namespace was deleted');
    const err = gone as unknown as TsnetError;
    assert.instance(err, TsnetError);
    assert.is(err.code, 'ETAP_GONE');
    assert.is(err.category, 'unavailable');
    assert.is(errors, 1);
    assert.not.ok(tap.reading, 'the reader stopped itself');
    assert.is(tap.write(Buffer.alloc(60), 0, 60), false, 'writes fail softly');
    tap.close();
    tap.close();
  } finally {
    cleanupAll();
  }
});

test.run();
