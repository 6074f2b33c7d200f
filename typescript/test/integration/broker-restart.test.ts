// Against the real broker, stopped under load: SIGTERM (GOAWAY, drain) and kill -9, each followed
// by a restart on the same data directory and port. The client reconnects by itself, resends
// what was not confirmed with the same idempotency keys, and subscribes again. Afterwards every
// confirmed message exists and none exists twice.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SymphonyClient, TransportError, type ClientEvent, type ClientOptions, type DispatchReceipt } from '../../src/index.js';
import { Broker } from '../support/broker.js';
import { Inbox, sleep } from '../support/receive.js';

const T = { timeout: 60_000 };

// patient enough for a broker restart (about 100 ms here, seconds on a slow machine)
const RECONNECT: ClientOptions = { reconnectAttempts: 60, reconnectDelayMs: 50, reconnectMaxDelayMs: 250 };

describe('symphonyd: stop and restart', () => {
  let broker: Broker | undefined;
  const clients: SymphonyClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close({ timeoutMs: 1000 });
    await broker?.dispose();
    broker = undefined;
  });

  async function client(events: ClientEvent[] = [], options: ClientOptions = {}): Promise<SymphonyClient> {
    assert.ok(broker);
    const c = await SymphonyClient.connect({ url: broker.url, env: {}, ...RECONNECT, ...options, onEvent: (e) => events.push(e) });
    clients.push(c);
    return c;
  }

  it('GOAWAY on SIGTERM: requests in flight settle, the client reconnects to the restarted broker, nothing lost or doubled', T, async (t) => {
    broker = await Broker.start();
    const events: ClientEvent[] = [];
    const c = await client(events);
    const all: Promise<DispatchReceipt>[] = [];
    const settledEarly: Array<Promise<unknown>> = [];
    let stopped: Promise<number | null> | undefined;
    for (let wave = 0; wave < 30; wave++) {
      for (let i = 0; i < 100; i++) all.push(c.dispatch({ type: 'Job', payload: { wave, i } }, { queue: 'goaway' }));
      if (wave === 10) {
        settledEarly.push(c.ping(1n).catch((e: unknown) => e)); // a plain request in flight too
        stopped = broker.stop();
      }
      await sleep(5);
    }
    assert.equal(await stopped, 0, 'the broker drained and exited cleanly');
    for (const r of await Promise.all(settledEarly)) assert.ok(r instanceof TransportError || (r as { nonce?: bigint }).nonce === 1n, String(r));
    assert.ok(events.some((e) => e.type === 'goaway'), 'GOAWAY reached the client');

    // while the broker is down, calls wait for the reconnect
    const statsDuringOutage = c.stats('goaway');
    broker = await broker.restart();
    const receipts = await Promise.all(all);
    assert.equal((await statsDuringOutage).length, 1);

    const ids = receipts.map((r) => r.id);
    assert.equal(new Set(ids).size, all.length, 'every message has its own id');
    const [stats] = await c.stats('goaway');
    assert.equal(stats?.ready, BigInt(all.length), 'exactly one envelope per message');
    const statuses = await c.messageStatus(ids);
    assert.ok(statuses.every((s) => s.code === 0 && s.queue === 'goaway'));
    assert.ok(c.counters.reconnects >= 1);
    t.diagnostic(
      `SIGTERM: goaways ${c.counters.goaways}, reconnects ${c.counters.reconnects}, failed attempts ${c.counters.failedAttempts}, ` +
        `resent ${c.counters.resentMessages}, duplicates ${receipts.filter((r) => r.duplicate).length}`,
    );
  });

  it('kill -9 mid-stream: confirmed messages survive, unconfirmed ones are resent without duplicates', T, async (t) => {
    broker = await Broker.start();
    const c = await client();
    const all: Promise<DispatchReceipt>[] = [];
    const confirmedBeforeKill = new Map<number, bigint>();
    let killed = false;
    for (let wave = 0; wave < 20; wave++) {
      for (let i = 0; i < 200; i++) {
        const n = wave * 200 + i;
        // no idempotency key: the client's random key is what makes the resend safe
        const p = c.dispatch({ type: 'Job', payload: { n } }, { queue: 'crash' });
        p.then((r) => {
          if (!killed) confirmedBeforeKill.set(n, r.id);
        }, () => undefined);
        all.push(p);
      }
      if (wave === 8) {
        // wave 8 is in flight: kill without a goodbye, restart on the same data and port
        killed = true;
        await broker.kill9();
        broker = await broker.restart();
      }
      await sleep(2);
    }
    const receipts = await Promise.all(all);
    assert.ok(confirmedBeforeKill.size > 0 && confirmedBeforeKill.size < all.length, `confirmed before the kill: ${confirmedBeforeKill.size}`);
    for (const [n, id] of confirmedBeforeKill) assert.equal(receipts[n]?.id, id);
    const statuses = await c.messageStatus([...confirmedBeforeKill.values()]);
    assert.ok(statuses.every((s) => s.code === 0 && s.status === 0 && s.queue === 'crash'), 'every confirmed message is still there');

    const ids = receipts.map((r) => r.id);
    assert.equal(new Set(ids).size, all.length, 'distinct ids');
    const [stats] = await c.stats('crash');
    assert.equal(stats?.ready, BigInt(all.length), 'no message was enqueued twice');
    assert.ok(c.counters.resentMessages > 0, 'something was in flight at the kill');
    // the broker's idempotency index survived the crash: a key it confirmed is still known
    const again = await c.dispatch({ type: 'Job', payload: { n: 0 } }, { queue: 'crash', idempotencyKey: receipts[0]?.idempotencyKey ?? '' });
    assert.equal(again.duplicate, true);
    assert.equal(again.id, receipts[0]?.id);
    t.diagnostic(
      `kill -9: confirmed before ${confirmedBeforeKill.size}, resent ${c.counters.resentMessages}, ` +
        `answered duplicate ${receipts.filter((r) => r.duplicate).length}, reconnects ${c.counters.reconnects}, failed attempts ${c.counters.failedAttempts}`,
    );
  });

  it('a subscribed client subscribes again after a restart; its unacked delivery comes back', T, async () => {
    broker = await Broker.start();
    const producer = await client();
    const consumer = await client();
    const inbox = new Inbox(consumer);
    await consumer.subscribe('resub', 5, 1000);
    const first = await producer.dispatch({ type: 'Job', payload: { n: 1 } }, { queue: 'resub' });
    const [d1] = await inbox.take(1);
    assert.equal(d1?.id, first.id);
    const oldConnection = d1?.connectionId;

    await broker.stop();
    broker = await broker.restart();
    const second = await producer.dispatch({ type: 'Job', payload: { n: 2 } }, { queue: 'resub' });
    const got = await inbox.take(2, 10_000);
    const byId = new Map(got.map((d) => [d.id, d]));
    assert.equal(byId.get(first.id)?.attempt, 2, 'the unacked delivery came back, its lost lease counted');
    assert.equal(byId.get(second.id)?.attempt, 1);
    assert.ok(got.every((d) => d.connectionId !== oldConnection), 'on the new connection');
    assert.deepEqual(await consumer.ack([first.id, second.id]), { acked: 2, failures: [] });
  });
});
