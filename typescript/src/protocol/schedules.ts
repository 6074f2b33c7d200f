// Schedules (§5.15): each run dispatches the schedule's message through the normal path.
//   ScheduleSpec := str16 name, u8 kind, i64 at_ms, i64 interval_ms, str16 cron, str16 timezone,
//                   i64 start_at_ms, u64 max_runs, u8 enabled, str16 type, blob32 payload,
//                   blob32 metadata, Headers, str16 queue, u8 priority
//   ScheduleInfo := u64 schedule_id, ScheduleSpec, i64 next_run_at_ms, i64 last_run_at_ms,
//                   u64 run_count, i64 created_at_ms, i64 updated_at_ms, str16 last_error
//   SCHEDULE_CREATE := ScheduleSpec          -> SCHEDULE_CREATE_RESULT := ScheduleInfo
//   SCHEDULE_LIST   := (empty)               -> SCHEDULE_LIST_RESULT := u32 count, ScheduleInfo...
//   SCHEDULE_GET    := u64 schedule_id       -> SCHEDULE_GET_RESULT := ScheduleInfo
//   SCHEDULE_UPDATE := u64 schedule_id, u8 op -> SCHEDULE_UPDATE_RESULT := u8 exists, [ScheduleInfo]
import { decodeBody, malformedIf, type ByteReader, type ByteWriter, type BytesLike } from './bytes.js';
import { Opcode, beginFrame, finishFrame, opcodeName } from './frame.js';
import { readHeaders, writeHeaders, type Header, type Headers } from './headers.js';

export const ScheduleKind = {
  /** Runs at at_ms (at once if that passed). */
  ONCE: 0,
  /** Runs at start_at_ms + k x interval_ms (start 0: creation + interval; at least 10 ms). */
  INTERVAL: 1,
  /** Runs at each match of `cron` in `timezone`. */
  CRON: 2,
} as const;
export type ScheduleKind = (typeof ScheduleKind)[keyof typeof ScheduleKind];

export const ScheduleOp = { ENABLE: 0, DISABLE: 1, DELETE: 2 } as const;
export type ScheduleOp = (typeof ScheduleOp)[keyof typeof ScheduleOp];

/** A schedule as a client creates it. Omitted fields take the defaults shown. */
export interface ScheduleSpecInit {
  name: string;
  kind: ScheduleKind;
  /** once: when (Unix ms). Default: 0. */
  atMs?: number;
  /** interval: the period. Default: 0. */
  intervalMs?: number;
  /** cron: 5 fields, or 6 with seconds first. Default: "". */
  cron?: string;
  /** An IANA name. Default: "UTC". */
  timezone?: string;
  /** interval: the first run (0: creation + interval). Default: 0. */
  startAtMs?: number;
  /** 0: no limit. Default: 0n. */
  maxRuns?: bigint;
  /** Default: true. */
  enabled?: boolean;
  /** The message each run dispatches. */
  type: string;
  /** Default: "{}". */
  payload?: BytesLike;
  /** Default: none. */
  metadata?: BytesLike;
  headers?: Headers;
  /** Empty: routed by type. Default: "". */
  queue?: string;
  /** 0: the queue default. Default: 0. */
  priority?: number;
}

export interface ScheduleSpec {
  name: string;
  kind: ScheduleKind;
  atMs: number;
  intervalMs: number;
  cron: string;
  timezone: string;
  startAtMs: number;
  maxRuns: bigint;
  enabled: boolean;
  type: string;
  payload: Buffer;
  metadata: Buffer;
  headers: Header[];
  queue: string;
  priority: number;
}

export interface ScheduleInfo {
  scheduleId: bigint;
  spec: ScheduleSpec;
  /** 0: will not run again. */
  nextRunAtMs: number;
  /** 0: never ran. */
  lastRunAtMs: number;
  runCount: bigint;
  createdAtMs: number;
  updatedAtMs: number;
  /** Why the last run's dispatch failed, if it did. */
  lastError: string;
}

/** What the schedule result encoders write. */
export interface ScheduleInfoInit extends Omit<ScheduleInfo, 'spec'> {
  spec: ScheduleSpecInit;
}

export type ScheduleResultOpcode = typeof Opcode.SCHEDULE_CREATE_RESULT | typeof Opcode.SCHEDULE_GET_RESULT;

// A ScheduleInfo with every string and blob empty: the floor for a count's fit check.
const MIN_INFO_BYTES = 8 + (2 + 1 + 8 + 8 + 2 + 2 + 8 + 8 + 1 + 2 + 4 + 4 + 2 + 2 + 1) + (8 + 8 + 8 + 8 + 8 + 2);

function writeSpec(w: ByteWriter, s: ScheduleSpecInit): void {
  w.str16(s.name).u8(s.kind).i64(s.atMs ?? 0).i64(s.intervalMs ?? 0);
  w.str16(s.cron ?? '').str16(s.timezone ?? 'UTC').i64(s.startAtMs ?? 0).u64(s.maxRuns ?? 0n);
  w.u8(s.enabled === false ? 0 : 1).str16(s.type).blob32(s.payload ?? '{}').blob32(s.metadata ?? '');
  writeHeaders(w, s.headers ?? []);
  w.str16(s.queue ?? '').u8(s.priority ?? 0);
}

function readSpec(r: ByteReader): ScheduleSpec {
  const name = r.str16();
  const kind = r.u8();
  malformedIf(kind > ScheduleKind.CRON, `schedule: unknown kind ${kind}`);
  return {
    name,
    kind: kind as ScheduleKind,
    atMs: r.i64Ms(),
    intervalMs: r.i64Ms(),
    cron: r.str16(),
    timezone: r.str16(),
    startAtMs: r.i64Ms(),
    maxRuns: r.u64(),
    enabled: r.bool(),
    type: r.str16(),
    payload: r.blob32(),
    metadata: r.blob32(),
    headers: readHeaders(r),
    queue: r.str16(),
    priority: r.u8(),
  };
}

function writeInfo(w: ByteWriter, s: ScheduleInfoInit): void {
  w.u64(s.scheduleId);
  writeSpec(w, s.spec);
  w.i64(s.nextRunAtMs).i64(s.lastRunAtMs).u64(s.runCount).i64(s.createdAtMs).i64(s.updatedAtMs);
  w.str16(s.lastError);
}

function readInfo(r: ByteReader): ScheduleInfo {
  return {
    scheduleId: r.u64(),
    spec: readSpec(r),
    nextRunAtMs: r.i64Ms(),
    lastRunAtMs: r.i64Ms(),
    runCount: r.u64(),
    createdAtMs: r.i64Ms(),
    updatedAtMs: r.i64Ms(),
    lastError: r.str16(),
  };
}

export function encodeScheduleCreate(requestId: number, spec: ScheduleSpecInit): Buffer {
  const w = beginFrame(Opcode.SCHEDULE_CREATE, requestId, 0, 128);
  writeSpec(w, spec);
  return finishFrame(w);
}

export function decodeScheduleCreate(body: Uint8Array): ScheduleSpec {
  return decodeBody(body, 'SCHEDULE_CREATE', readSpec);
}

export function encodeScheduleList(requestId: number): Buffer {
  return finishFrame(beginFrame(Opcode.SCHEDULE_LIST, requestId));
}

export function decodeScheduleList(body: Uint8Array): void {
  malformedIf(body.length !== 0, 'SCHEDULE_LIST has a body');
}

export function encodeScheduleGet(requestId: number, scheduleId: bigint): Buffer {
  return finishFrame(beginFrame(Opcode.SCHEDULE_GET, requestId).u64(scheduleId));
}

export function decodeScheduleGet(body: Uint8Array): bigint {
  return decodeBody(body, 'SCHEDULE_GET', (r) => r.u64());
}

export function encodeScheduleUpdate(requestId: number, scheduleId: bigint, op: ScheduleOp): Buffer {
  return finishFrame(beginFrame(Opcode.SCHEDULE_UPDATE, requestId).u64(scheduleId).u8(op));
}

export function decodeScheduleUpdate(body: Uint8Array): { scheduleId: bigint; op: ScheduleOp } {
  return decodeBody(body, 'SCHEDULE_UPDATE', (r) => {
    const scheduleId = r.u64();
    const op = r.u8();
    malformedIf(op > ScheduleOp.DELETE, `SCHEDULE_UPDATE: unknown op ${op}`);
    return { scheduleId, op: op as ScheduleOp };
  });
}

/** SCHEDULE_CREATE_RESULT or SCHEDULE_GET_RESULT: exactly one ScheduleInfo. */
export function encodeScheduleResult(opcode: ScheduleResultOpcode, requestId: number, info: ScheduleInfoInit): Buffer {
  if (opcode !== Opcode.SCHEDULE_CREATE_RESULT && opcode !== Opcode.SCHEDULE_GET_RESULT) {
    throw new RangeError(`${opcodeName(opcode)} is not a single-schedule result`);
  }
  const w = beginFrame(opcode, requestId, 0, 160);
  writeInfo(w, info);
  return finishFrame(w);
}

export function decodeScheduleResult(body: Uint8Array): ScheduleInfo {
  return decodeBody(body, 'schedule result', readInfo);
}

export const decodeScheduleCreateResult = decodeScheduleResult;
export const decodeScheduleGetResult = decodeScheduleResult;

export function encodeScheduleListResult(requestId: number, list: readonly ScheduleInfoInit[]): Buffer {
  const w = beginFrame(Opcode.SCHEDULE_LIST_RESULT, requestId, 0, 160 * list.length);
  w.u32(list.length);
  for (const s of list) writeInfo(w, s);
  return finishFrame(w);
}

export function decodeScheduleListResult(body: Uint8Array): ScheduleInfo[] {
  return decodeBody(body, 'SCHEDULE_LIST_RESULT', (r) => {
    const n = r.count(MIN_INFO_BYTES);
    const out: ScheduleInfo[] = [];
    for (let i = 0; i < n; i++) out.push(readInfo(r));
    return out;
  });
}

/** The schedule after the change, or null after a delete. */
export function encodeScheduleUpdateResult(requestId: number, info: ScheduleInfoInit | null): Buffer {
  const w = beginFrame(Opcode.SCHEDULE_UPDATE_RESULT, requestId, 0, 160).u8(info ? 1 : 0);
  if (info) writeInfo(w, info);
  return finishFrame(w);
}

/** The schedule after the change, or null when `exists` is 0 (after a delete). */
export function decodeScheduleUpdateResult(body: Uint8Array): ScheduleInfo | null {
  return decodeBody(body, 'SCHEDULE_UPDATE_RESULT', (r) => (r.bool() ? readInfo(r) : null));
}
