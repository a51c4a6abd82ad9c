// GET /v1/containers/:ref/logs[?tail=N][&follow=1]: the output of a detached container's command
// (stdout and stderr, in the order written to its log file), as text. With follow the response
// stays open and carries what is written next, until the container stops or the client goes away
// (`tsnet logs -f`, `docker logs -f`). A container whose command ran in the foreground has no log.
import { open, type FileHandle } from 'node:fs/promises';
import { badRequest } from '../errors.js';
import type { NetworkController } from '../control/controller.js';
import { RawResponse } from './router.js';

// --- our choice ---
/** How often a followed log is checked for new output and the container for its state. */
const FOLLOW_POLL_MS = 200;
/** Bytes read at a time. */
const CHUNK_BYTES = 64 << 10;
/** --tail N looks for its lines in at most this many bytes at the end of the log. */
const TAIL_WINDOW_BYTES = 8 << 20;

function tailParam(q: URLSearchParams): number | null {
  const v = q.get('tail');
  if (v === null || v === 'all') return null;
  if (!/^\d+$/.test(v)) throw badRequest('EBAD_ARGS', `--tail takes a number of lines or "all", not "${v}".`);
  return Number(v);
}

/** Where the last `lines` lines of the file start (0 for the whole file). */
async function tailStart(fh: FileHandle, size: number, lines: number): Promise<number> {
  const from = Math.max(0, size - TAIL_WINDOW_BYTES);
  const buf = Buffer.alloc(size - from);
  await fh.read(buf, 0, buf.length, from);
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0a) end--; // the last line's own newline
  let seen = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (buf[i] === 0x0a && ++seen === lines) return from + i + 1;
  }
  return lines === 0 ? size : from;
}

export function logsRoute(ctl: NetworkController, ref: string, q: URLSearchParams): RawResponse {
  const log = ctl.containerLog(ref);
  const tail = tailParam(q);
  const follow = q.get('follow') === '1';
  return new RawResponse((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    if (log.path === null) return void res.end();
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    let fh: FileHandle | undefined;
    const finish = () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      void fh?.close().catch(() => undefined);
      if (!res.writableEnded) res.end();
    };
    res.on('close', finish);
    req.on('close', finish);
    const buf = Buffer.alloc(CHUNK_BYTES);
    let pos = 0;
    /** Sends the file from `pos` up to `end` (or its end), waiting for the client to drain. */
    const sendUpTo = async (end: number) => {
      while (pos < end && !closed) {
        const { bytesRead } = await fh!.read(buf, 0, Math.min(buf.length, end - pos), pos);
        if (bytesRead === 0) return;
        pos += bytesRead;
        if (!res.write(Buffer.from(buf.subarray(0, bytesRead)))) await new Promise((r) => res.once('drain', r));
      }
    };
    const poll = async () => {
      const wasRunning = log.running();
      await sendUpTo(Infinity);
      if (closed) return;
      // the output written before it stopped was sent above; then the stream ends
      if (!wasRunning) return finish();
      timer = setTimeout(() => void poll().catch(finish), FOLLOW_POLL_MS);
    };
    void (async () => {
      fh = await open(log.path!, 'r');
      const { size } = await fh.stat();
      pos = tail === null ? 0 : await tailStart(fh, size, tail);
      if (follow) return poll();
      await sendUpTo(size); // without follow: what the log holds now, no more
      finish();
    })().catch(finish);
  });
}
