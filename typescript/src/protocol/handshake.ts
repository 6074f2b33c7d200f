// HELLO / WELCOME (§5.1): the first exchange on every connection.
//   HELLO   := u16 version, str16 client_name, str16 auth_token
//   WELCOME := u16 version, str16 server_name, u64 session_id, u32 max_frame_bytes,
//              u32 max_batch, u32 max_payload_bytes, u32 max_metadata_bytes,
//              u16 max_headers, u16 max_type_bytes
import { decodeBody } from './bytes.js';
import { Opcode, beginFrame, finishFrame } from './frame.js';

export const PROTOCOL_VERSION = 1;

export interface Hello {
  /** Default: PROTOCOL_VERSION (1). */
  version?: number;
  /** Free text for the broker's logs (it keeps the first 128 bytes). */
  clientName: string;
  /** Empty when the broker runs without authentication. Default: "". */
  authToken?: string;
}

/** Limits the broker enforces, announced in WELCOME; a client should stay under them. */
export interface ServerLimits {
  maxFrameBytes: number;
  /** Messages per DISPATCH, ids per ACK/NACK/TOUCH. */
  maxBatch: number;
  maxPayloadBytes: number;
  maxMetadataBytes: number;
  maxHeaders: number;
  /** Also the limit of queue names. */
  maxTypeBytes: number;
}

/** The broker's defaults (§5.1). */
export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxFrameBytes: 16 * 1024 * 1024,
  maxBatch: 10_000,
  maxPayloadBytes: 1024 * 1024,
  maxMetadataBytes: 64 * 1024,
  maxHeaders: 64,
  maxTypeBytes: 255,
});

export interface Welcome {
  version: number;
  serverName: string;
  /** Identifies this connection in the broker's logs; a consumer's leases belong to it. */
  sessionId: bigint;
  limits: ServerLimits;
}

export function encodeHello(requestId: number, hello: Hello): Buffer {
  const w = beginFrame(Opcode.HELLO, requestId);
  w.u16(hello.version ?? PROTOCOL_VERSION).str16(hello.clientName).str16(hello.authToken ?? '');
  return finishFrame(w);
}

export function decodeHello(body: Uint8Array): Required<Hello> {
  return decodeBody(body, 'HELLO', (r) => ({ version: r.u16(), clientName: r.str16(), authToken: r.str16() }));
}

export function encodeWelcome(requestId: number, welcome: Welcome): Buffer {
  const w = beginFrame(Opcode.WELCOME, requestId);
  const l = welcome.limits;
  w.u16(welcome.version).str16(welcome.serverName).u64(welcome.sessionId);
  w.u32(l.maxFrameBytes).u32(l.maxBatch).u32(l.maxPayloadBytes).u32(l.maxMetadataBytes);
  w.u16(l.maxHeaders).u16(l.maxTypeBytes);
  return finishFrame(w);
}

export function decodeWelcome(body: Uint8Array): Welcome {
  return decodeBody(body, 'WELCOME', (r) => ({
    version: r.u16(),
    serverName: r.str16(),
    sessionId: r.u64(),
    limits: {
      maxFrameBytes: r.u32(),
      maxBatch: r.u32(),
      maxPayloadBytes: r.u32(),
      maxMetadataBytes: r.u32(),
      maxHeaders: r.u16(),
      maxTypeBytes: r.u16(),
    },
  }));
}
