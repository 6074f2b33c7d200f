// Shared test helpers: hex parsing, a seeded PRNG, the ProtocolError assertion, and the worked
// examples of docs/protocol.md when the package sits in the Symphony repository.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProtocolError, type ErrorCodeName } from '../src/index.js';

/** Bytes of a hex dump as the doc prints it ("0000  0d 00 ..."): offsets are dropped. */
export function hex(dump: string): Buffer {
  const bytes: number[] = [];
  for (const line of dump.split('\n')) {
    const tokens = line.trim().split(/\s+/).filter((t) => t.length > 0);
    for (const [i, tok] of tokens.entries()) {
      if (i === 0 && tok.length === 4) continue; // the offset column
      assert.match(tok, /^[0-9a-f]{2}$/i, `bad hex token ${tok}`);
      bytes.push(Number.parseInt(tok, 16));
    }
  }
  return Buffer.from(bytes);
}

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(rand: () => number, maxExclusive: number): number {
  return Math.floor(rand() * maxExclusive);
}

export function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = randomInt(rand, 256);
  return b;
}

/** Runs fn and checks it throws a ProtocolError (of `codeName` when given). */
export function assertProtocolError(fn: () => unknown, codeName?: ErrorCodeName, message?: string): ProtocolError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown !== undefined, `${message ?? 'call'}: expected a ProtocolError, nothing was thrown`);
  assert.ok(thrown instanceof ProtocolError, `${message ?? 'call'}: expected a ProtocolError, got ${String(thrown)}`);
  if (codeName) assert.equal(thrown.codeName, codeName, message);
  return thrown;
}

/** docs/protocol.md of the repository this package lives in, or undefined elsewhere. */
export function protocolDoc(): string | undefined {
  // build-test/test/helpers.js -> ../../../docs/protocol.md
  const path = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'protocol.md');
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** The `<!-- hex:NAME -->` blocks of the doc, parsed as the C++ doc test does. */
export function docHexBlocks(doc: string): Map<string, Buffer> {
  const blocks = new Map<string, Buffer>();
  const re = /<!-- hex:([a-z_]+) -->\s*```\n([\s\S]*?)```/g;
  for (const m of doc.matchAll(re)) blocks.set(m[1] as string, hex(m[2] as string));
  return blocks;
}
