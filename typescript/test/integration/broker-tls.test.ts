// Against the real broker with TLS on (a self-signed certificate made with the openssl CLI for
// 127.0.0.1 and localhost): symphonys:// with the CA, the server name override, and the two
// mistakes a user makes (no CA; plain TCP to a TLS port), each a clear TransportError.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SymphonyClient, TransportError } from '../../src/index.js';
import { Broker } from '../support/broker.js';

const T = { timeout: 30_000 };

function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'server.pem');
  const key = join(dir, 'server.key');
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`the TLS tests need the openssl command to make a certificate: ${(err as Error).message}`);
  }
  return { cert, key };
}

describe('symphonyd: TLS', () => {
  let broker: Broker;
  let dir: string;
  let ca: Buffer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'symphony-tls-'));
    const { cert, key } = makeCertificate(dir);
    ca = readFileSync(cert);
    broker = await Broker.start({ args: ['--tls-cert', cert, '--tls-key', key] });
  });
  after(async () => {
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('symphonys:// with the CA: handshake, dispatch, receive', T, async () => {
    const c = await SymphonyClient.connect({ url: `symphonys://127.0.0.1:${broker.port}`, env: {}, tls: { ca } });
    try {
      const r = await c.dispatch({ type: 'Secure', payload: { ok: true } }, { queue: 'tls' });
      assert.equal(r.queue, 'tls');
      assert.equal((await c.ping(5n)).nonce, 5n);
    } finally {
      await c.close();
    }
  });

  it('the CA from SYMPHONY_TLS_CA, and a server name other than the host', T, async () => {
    const c = await SymphonyClient.connect({
      url: `symphonys://127.0.0.1:${broker.port}`,
      env: { SYMPHONY_TLS_CA: join(dir, 'server.pem') },
      tls: { servername: 'localhost' },
    });
    assert.equal((await c.ping(6n)).nonce, 6n);
    await c.close();
  });

  it('without the CA the certificate is refused: TransportError connect', T, async () => {
    const c = new SymphonyClient({ url: `symphonys://127.0.0.1:${broker.port}`, env: {}, reconnectAttempts: 0 });
    await assert.rejects(c.connect(), (e: unknown) => e instanceof TransportError && e.kind === 'connect' && /certificate/i.test(e.message));
    await c.close();
  });

  it('plain TCP to a TLS port fails fast with a hint', T, async () => {
    const c = new SymphonyClient({ url: broker.url, env: {}, reconnectAttempts: 0, connectTimeoutMs: 5000 });
    const started = Date.now();
    await assert.rejects(c.connect(), (e: unknown) => e instanceof TransportError && e.kind === 'connect' && e.message.includes('symphonys://'));
    assert.ok(Date.now() - started < 4000, 'not a timeout');
    await c.close();
  });
});
