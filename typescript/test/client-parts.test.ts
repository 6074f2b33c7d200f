// The small pieces under SymphonyClient: the backoff schedule, the delivery queue behind
// deliveries(), and the request table's id allocation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, sleep } from '../src/backoff.js';
import { DeliveryQueue } from '../src/delivery-queue.js';
import { RequestTable } from '../src/request-table.js';
import { Opcode, TransportError, encodePong } from '../src/index.js';
import { decodeServerFrame } from '../src/protocol/server-frame.js';
import { FRAME_HEADER_BYTES } from '../src/protocol/frame.js';

describe('backoff', () => {
  it('doubles from the base delay up to the cap, as the C++ client does', () => {
    const o = { attempts: 6, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(o, n)), [100, 200, 400, 800, 1000, 1000]);
  });
  it('sleep ends early when aborted', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = sleep(5000, ac.signal);
    ac.abort();
    assert.equal(await p, false);
    assert.ok(Date.now() - started < 1000);
  });
});

describe('DeliveryQueue', () => {
  it('hands items to waiting readers first, then buffers them, in order', async () => {
    const q = new DeliveryQueue<number>();
    const waiting = q.next();
    q.push(1);
    q.push(2);
    q.push(3);
    assert.deepEqual(await waiting, { value: 1, done: false });
    const seen: number[] = [];
    q.end();
    for await (const n of q) seen.push(n);
    assert.deepEqual(seen, [2, 3], 'items buffered before end() are still read');
  });
  it('drop() removes buffered items; end(error) makes readers throw', async () => {
    const q = new DeliveryQueue<number>();
    for (const n of [1, 2, 3, 4]) q.push(n);
    assert.equal(q.drop((n) => n % 2 === 0), 2);
    assert.deepEqual([(await q.next()).value, (await q.next()).value], [1, 3]);
    const reader = q.next();
    q.end(new Error('gone'));
    await assert.rejects(reader, /gone/);
    await assert.rejects(q.next(), /gone/);
  });
});

describe('RequestTable', () => {
  const pong = (id: number) => {
    const f = encodePong(id, { nonce: 1n, serverTimeMs: 0 });
    return decodeServerFrame({ opcode: Opcode.PONG, flags: 0, requestId: id, body: f.subarray(FRAME_HEADER_BYTES) });
  };
  it('never hands out 0 or an id still waiting, across the u32 wrap', () => {
    const t = new RequestTable();
    (t as unknown as { lastId: number }).lastId = 0xfffffffe;
    const a = t.nextId();
    void t.add(a, Opcode.PONG, 0);
    (t as unknown as { lastId: number }).lastId = a - 1;
    const b = t.nextId();
    assert.equal(a, 0xffffffff);
    assert.equal(b, 1, 'skips the waiting id and 0');
  });
  it('a timed-out request is answered late without being taken for a stray reply', async () => {
    const t = new RequestTable();
    const id = t.nextId();
    // request timers are unref'd (a socket keeps a real client alive): hold the loop open here
    const keepAlive = setTimeout(() => undefined, 5000);
    await assert.rejects(t.add(id, Opcode.PONG, 20), (e: unknown) => e instanceof TransportError && e.kind === 'timeout');
    clearTimeout(keepAlive);
    assert.equal(t.settle(pong(id)), 'abandoned');
    assert.equal(t.settle(pong(id)), 'unknown');
  });
});
