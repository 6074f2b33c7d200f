// QUEUE_STATS (§5.10): per-queue depths and counters since the broker started.
//   QUEUE_STATS        := str16 queue         (empty: every queue, sorted by name)
//   QUEUE_STATS_RESULT := u32 count, count x QueueStats
//   QueueStats         := str16 name, then 11 x u64 in the order of COUNTERS below
import { decodeBody } from './bytes.js';
import { Opcode, beginFrame, finishFrame } from './frame.js';

export interface QueueStats {
  name: string;
  /** Waiting for a consumer. */
  ready: bigint;
  /** Waiting for its time (a delay, a schedule or a retry backoff). */
  delayed: bigint;
  /** Leased. */
  inFlight: bigint;
  /** In the dead-letter set. */
  dead: bigint;
  consumers: bigint;
  dispatchedTotal: bigint;
  deliveredTotal: bigint;
  ackedTotal: bigint;
  retriedTotal: bigint;
  deadLetteredTotal: bigint;
  expiredTotal: bigint;
}

/** The u64 fields in wire order. */
export const QUEUE_STATS_COUNTERS = [
  'ready',
  'delayed',
  'inFlight',
  'dead',
  'consumers',
  'dispatchedTotal',
  'deliveredTotal',
  'ackedTotal',
  'retriedTotal',
  'deadLetteredTotal',
  'expiredTotal',
] as const satisfies readonly (keyof QueueStats)[];

const MIN_STATS_BYTES = 2 + 8 * QUEUE_STATS_COUNTERS.length;

/** `queue` empty: every queue. An unknown queue gives an empty list. */
export function encodeQueueStats(requestId: number, queue = ''): Buffer {
  return finishFrame(beginFrame(Opcode.QUEUE_STATS, requestId).str16(queue));
}

export function decodeQueueStats(body: Uint8Array): string {
  return decodeBody(body, 'QUEUE_STATS', (r) => r.str16());
}

export function encodeQueueStatsResult(requestId: number, stats: readonly QueueStats[]): Buffer {
  const w = beginFrame(Opcode.QUEUE_STATS_RESULT, requestId, 0, 100 * stats.length);
  w.u32(stats.length);
  for (const s of stats) {
    w.str16(s.name);
    for (const key of QUEUE_STATS_COUNTERS) w.u64(s[key]);
  }
  return finishFrame(w);
}

export function decodeQueueStatsResult(body: Uint8Array): QueueStats[] {
  return decodeBody(body, 'QUEUE_STATS_RESULT', (r) => {
    const n = r.count(MIN_STATS_BYTES);
    const out: QueueStats[] = [];
    for (let i = 0; i < n; i++) {
      out.push({
        name: r.str16(),
        ready: r.u64(),
        delayed: r.u64(),
        inFlight: r.u64(),
        dead: r.u64(),
        consumers: r.u64(),
        dispatchedTotal: r.u64(),
        deliveredTotal: r.u64(),
        ackedTotal: r.u64(),
        retriedTotal: r.u64(),
        deadLetteredTotal: r.u64(),
        expiredTotal: r.u64(),
      });
    }
    return out;
  });
}
