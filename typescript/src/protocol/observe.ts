// Observing the broker (§5.13): the binary twins of the admin API's GET /status, GET /health,
// GET /metrics and POST /backup. Each result is one UTF-8 document in a blob32.
//   OVERVIEW := u8 minutes (0: windows 1, 5, 60; else 1..60)   HEALTH, METRICS := (empty body)
//   BACKUP   := str16 name
//   OVERVIEW_RESULT, HEALTH_RESULT, BACKUP_RESULT := blob32 json;  METRICS_RESULT := blob32 text
import { decodeBody, malformedIf } from './bytes.js';
import { Opcode, beginFrame, finishFrame, opcodeName } from './frame.js';

/** Largest OVERVIEW window in minutes; the broker answers INVALID_ARGUMENT above it. */
export const MAX_OVERVIEW_MINUTES = 60;

/** The reply opcodes whose body is a single document. */
export type DocumentResultOpcode =
  | typeof Opcode.OVERVIEW_RESULT
  | typeof Opcode.HEALTH_RESULT
  | typeof Opcode.METRICS_RESULT
  | typeof Opcode.BACKUP_RESULT;

const DOCUMENT_RESULTS: ReadonlySet<number> = new Set([
  Opcode.OVERVIEW_RESULT,
  Opcode.HEALTH_RESULT,
  Opcode.METRICS_RESULT,
  Opcode.BACKUP_RESULT,
]);

export function encodeOverview(requestId: number, minutes = 0): Buffer {
  return finishFrame(beginFrame(Opcode.OVERVIEW, requestId).u8(minutes));
}

export function decodeOverview(body: Uint8Array): number {
  return decodeBody(body, 'OVERVIEW', (r) => r.u8());
}

export function encodeHealth(requestId: number): Buffer {
  return finishFrame(beginFrame(Opcode.HEALTH, requestId));
}

/** HEALTH has no body; any byte is MALFORMED_FRAME. */
export function decodeHealth(body: Uint8Array): void {
  malformedIf(body.length !== 0, 'HEALTH has a body');
}

export function encodeMetrics(requestId: number): Buffer {
  return finishFrame(beginFrame(Opcode.METRICS, requestId));
}

export function decodeMetrics(body: Uint8Array): void {
  malformedIf(body.length !== 0, 'METRICS has a body');
}

/** `name`: 1..128 of letters, digits, '.', '_', '-', not starting with '.' (checked by the broker). */
export function encodeBackup(requestId: number, name: string): Buffer {
  return finishFrame(beginFrame(Opcode.BACKUP, requestId).str16(name));
}

export function decodeBackup(body: Uint8Array): string {
  return decodeBody(body, 'BACKUP', (r) => r.str16());
}

export function encodeDocumentResult(opcode: DocumentResultOpcode, requestId: number, document: string): Buffer {
  if (!DOCUMENT_RESULTS.has(opcode)) throw new RangeError(`${opcodeName(opcode)} is not a document result`);
  return finishFrame(beginFrame(opcode, requestId, 0, document.length + 4).blob32(document));
}

/** The document of OVERVIEW_RESULT, HEALTH_RESULT, METRICS_RESULT or BACKUP_RESULT. */
export function decodeDocumentResult(body: Uint8Array): string {
  return decodeBody(body, 'document result', (r) => r.blob32Text());
}

/** The GET /status document (JSON text). */
export const decodeOverviewResult = decodeDocumentResult;
/** The GET /health document (JSON text). */
export const decodeHealthResult = decodeDocumentResult;
/** Prometheus text exposition format 0.0.4. */
export const decodeMetricsResult = decodeDocumentResult;
/** {"name", "path", "bytes", "millis"} (JSON text). */
export const decodeBackupResult = decodeDocumentResult;
