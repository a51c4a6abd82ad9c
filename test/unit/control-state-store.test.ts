// Unit tests of the state store (src/control/state-store.ts) in a temporary directory: round trip,
// directory mode, atomic replacement with a backup, coalesced saves, corrupt files, and a leftover temp
// file from a simulated crash.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsnetError } from '../../src/errors.js';
import { createStateStore, writeFileAtomic } from '../../src/control/state-store.js';

interface S {
  networks: string[];
  n: number;
}

const made: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tsnet-state-'));
  made.push(d);
  return d;
}
test.after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

test('load of a missing state is undefined; save then load round-trips; dir is created 0700', async () => {
  const dir = join(tempDir(), 'nested', 'state');
  const store = createStateStore<S>(dir);
  assert.is(await store.load(), undefined);
  await store.save({ networks: ['a', 'b'], n: 1 });
  assert.equal(await store.load(), { networks: ['a', 'b'], n: 1 });
  assert.is(statSync(dir).mode & 0o777, 0o700);
  assert.is(statSync(store.file).mode & 0o777, 0o600);
  assert.is(store.file, join(dir, 'state.json'));
  // a fresh store over the same dir sees the same state
  assert.equal(await createStateStore<S>(dir).load(), { networks: ['a', 'b'], n: 1 });
});

test('the replaced state is kept as state.json.bak', async () => {
  const dir = tempDir();
  const store = createStateStore<S>(dir);
  await store.save({ networks: [], n: 1 });
  await store.save({ networks: [], n: 2 });
  assert.is(JSON.parse(readFileSync(join(dir, 'state.json.bak'), 'utf8')).n, 1);
  assert.is(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).n, 2);
  // no temp files left behind
  assert.equal(readdirSync(dir).sort(), ['state.json', 'state.json.bak']);
});

test('saves are serialised and coalesced: queued saves write only the newest', async () => {
  const dir = tempDir();
  const store = createStateStore<S>(dir);
  const all = [1, 2, 3, 4, 5].map((n) => store.save({ networks: [], n }));
  await Promise.all(all);
  assert.is((await store.load())!.n, 5);
  // n=1 was written first, 2..4 were replaced in the queue by 5: the backup is 1, not 4
  assert.is(JSON.parse(readFileSync(join(dir, 'state.json.bak'), 'utf8')).n, 1);
  // the state is captured at save() time, later mutation of the object does not leak in
  const s: S = { networks: ['x'], n: 6 };
  const p = store.save(s);
  s.n = 7;
  await p;
  assert.is((await store.load())!.n, 6);
});

test('a corrupt state.json is an error naming the file and the backup, and is never overwritten silently', async () => {
  const dir = tempDir();
  const store = createStateStore<S>(dir);
  await store.save({ networks: ['good'], n: 1 });
  await store.save({ networks: ['good'], n: 2 });
  writeFileSync(join(dir, 'state.json'), '{"networks": ["good"], "n": ');
  const fresh = createStateStore<S>(dir);
  try {
    await fresh.load();
    assert.unreachable('load should fail');
  } catch (err) {
    assert.instance(err, TsnetError);
    const e = err as TsnetError;
    assert.is(e.code, 'ESTATE_CORRUPT');
    assert.ok(e.message.includes(join(dir, 'state.json')), e.message);
    assert.ok(e.message.includes('state.json.bak'), e.message);
  }
  // saving after a failed load must not turn the corrupt file into the backup
  await fresh.save({ networks: ['new'], n: 3 });
  assert.is(JSON.parse(readFileSync(join(dir, 'state.json.bak'), 'utf8')).n, 1);
});

test('validate hook: a bad shape is reported as ESTATE_CORRUPT', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'state.json'), '{"n": "x"}');
  const store = createStateStore<S>(dir, {
    validate: (j) => {
      const o = j as S;
      if (typeof o.n !== 'number') throw new Error('field n must be a number');
      return o;
    },
  });
  try {
    await store.load();
    assert.unreachable();
  } catch (err) {
    assert.is((err as TsnetError).code, 'ESTATE_CORRUPT');
    assert.ok((err as TsnetError).message.includes('field n must be a number'));
    assert.ok((err as TsnetError).message.includes('move it away'));
  }
});

test('simulated crash: a leftover temp file is ignored and removed at load', async () => {
  const dir = tempDir();
  const store = createStateStore<S>(dir);
  await store.save({ networks: ['kept'], n: 1 });
  // a crash between write and rename leaves a half-written temp file
  const leftover = join(dir, `.state.json.99999.1.tmp`);
  writeFileSync(leftover, '{"networks": ["half');
  const after = createStateStore<S>(dir);
  assert.equal(await after.load(), { networks: ['kept'], n: 1 });
  assert.equal(readdirSync(dir), ['state.json']);
});

test('an unserialisable state is rejected without touching the file', async () => {
  const dir = tempDir();
  const store = createStateStore<unknown>(dir);
  await store.save({ ok: true });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  try {
    await store.save(cyclic);
    assert.unreachable();
  } catch (err) {
    assert.is((err as TsnetError).code, 'ESTATE_SERIALISE');
  }
  assert.equal(await store.load(), { ok: true });
});

test('writeFileAtomic replaces a file and leaves no temp file', async () => {
  const dir = tempDir();
  const f = join(dir, 'hosts');
  await writeFileAtomic(f, 'a\n');
  await writeFileAtomic(f, 'b\n', 0o644);
  assert.is(readFileSync(f, 'utf8'), 'b\n');
  assert.is(statSync(f).mode & 0o777, 0o644);
  assert.equal(readdirSync(dir), ['hosts']);
});

test.run();
