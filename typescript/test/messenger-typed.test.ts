// defineMessage(): a zod schema checked before sending (nothing sent on failure) and again on
// receipt (a fatal NACK with error class ValidationError), and the types it gives handlers.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { z } from 'zod';
import {
  HandlerRegistry,
  Messenger,
  SyncTransport,
  ValidationError,
  Worker,
  defineMessage,
  silentLogger,
  type Message,
  type SymphonyClient,
} from '../src/index.js';
import { FakeDispatchClient, FakeWorkerClient, until } from './support/fake-worker-client.js';

const EmailMessage = defineMessage(
  'EmailMessage',
  z.object({ to: z.string().email(), subject: z.string().min(1), html: z.string().default('') }),
);

// compile-time checks (never run): the payload types flow from the schema
function typeChecks(): void {
  EmailMessage.handler((m) => {
    const to: string = m.payload.to;
    const type: 'EmailMessage' = m.type;
    void [to, type];
  });
  // @ts-expect-error subject must be a string
  void EmailMessage.dispatch({ to: 'a@b.c', subject: 1 });
  // @ts-expect-error `to` is required
  void new EmailMessage({ subject: 's' });
  // @ts-expect-error the output has no such field
  EmailMessage.handler((m) => void m.payload.nope);
}
void typeChecks;

describe('defineMessage', () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
  });

  function recording(): { messenger: Messenger; client: FakeDispatchClient } {
    const client = new FakeDispatchClient();
    return { messenger: new Messenger({ env: {}, client: client as unknown as SymphonyClient }), client };
  }

  it('dispatch() validates first: a bad payload is a ValidationError and nothing is sent', async () => {
    const { messenger, client } = recording();
    await assert.rejects(
      EmailMessage.dispatch({ to: 'not an email', subject: '' } as never, {}, messenger),
      (e: unknown) =>
        e instanceof ValidationError &&
        e.messageType === 'EmailMessage' &&
        e.issues.map((i) => i.path.join('.')).join(',') === 'to,subject' &&
        /EmailMessage payload is invalid: to: /.test(e.message),
    );
    assert.equal(client.sent.length, 0);
    const r = await EmailMessage.dispatch({ to: 'a@example.com', subject: 'Hi' }, { priority: 7 }, messenger);
    assert.equal(r.messageId, '100');
    assert.deepEqual(client.sent[0]?.message, { type: 'EmailMessage', payload: { to: 'a@example.com', subject: 'Hi', html: '' } }, 'defaults applied');
    assert.equal(client.sent[0]?.options.priority, 7);
  });

  it('new EmailMessage(payload) is a validated Message; parse, is, type and schema', () => {
    const m = new EmailMessage({ to: 'a@example.com', subject: 'Hi' });
    const asMessage: Message = m;
    assert.deepEqual([asMessage.type, m.payload.html, m.payload.to], ['EmailMessage', '', 'a@example.com']);
    assert.throws(() => new EmailMessage({ to: 'x', subject: 'Hi' }), ValidationError);
    assert.equal(EmailMessage.type, 'EmailMessage');
    assert.ok(EmailMessage.schema instanceof z.ZodObject);
    assert.equal(EmailMessage.is({ type: 'EmailMessage', payload: {} }), true);
    assert.equal(EmailMessage.is({ type: 'Other', payload: {} }), false);
    assert.deepEqual(EmailMessage.create({ to: 'b@example.com', subject: 's' }, { trace: 1 }).metadata, { trace: 1 });
    assert.throws(() => defineMessage('', z.object({})), TypeError);
    assert.throws(() => defineMessage('X', {} as never), TypeError);
  });

  it('handler(): typed, validated payload in the handler; registers by its type', async () => {
    const got: string[] = [];
    const registry = new HandlerRegistry().register(
      EmailMessage.handler(async (message, envelope, context) => {
        got.push(`${message.payload.to}|${message.payload.html}|${envelope.attempt}|${context.attempt}`);
      }),
    );
    assert.deepEqual(registry.types(), ['EmailMessage']);
    const messenger = new Messenger({ env: {}, transport: new SyncTransport({ registry, logger: silentLogger }) });
    await messenger.dispatch({ type: 'EmailMessage', payload: { to: 'a@example.com', subject: 'Hi' } });
    assert.deepEqual(got, ['a@example.com||1|1']);
  });

  it('on receipt under SyncTransport, an invalid payload fails once, not retried, as ValidationError', async () => {
    let calls = 0;
    const registry = new HandlerRegistry().register(EmailMessage.handler(() => void calls++));
    const transport = new SyncTransport({ registry, logger: silentLogger, sleep: async () => undefined });
    const messenger = new Messenger({ env: {}, transport });
    // sent untyped, so only the receiving side can catch it
    await assert.rejects(messenger.dispatch({ type: 'EmailMessage', payload: { to: 'nope' } }), { name: 'HandlerError', message: /EmailMessage payload is invalid/ });
    assert.equal(calls, 0);
    assert.deepEqual(transport.deadLetters.map((d) => [d.attempts, d.errorClass]), [[1, 'ValidationError']]);
  });

  it('on receipt in a worker, an invalid payload is a fatal NACK with error class ValidationError', async () => {
    let calls = 0;
    const registry = new HandlerRegistry().register(EmailMessage.handler(() => void calls++));
    const client = new FakeWorkerClient();
    const worker = new Worker({ registry, client, env: {}, logger: silentLogger });
    stops.push(() => worker.stop());
    await worker.start();
    const bad = client.deliver({ type: 'EmailMessage', payload: { to: 'nope', subject: 'x' } });
    const good = client.deliver({ type: 'EmailMessage', payload: { to: 'a@example.com', subject: 'x' } });
    await until(() => client.of('nack').length === 1 && client.of('ack').length === 1);
    const [nack] = client.of('nack');
    assert.deepEqual([nack?.id, nack?.mode, nack?.errorClass], [bad, 'fatal', 'ValidationError']);
    assert.match(nack?.error ?? '', /to: Invalid email/);
    assert.deepEqual(client.of('ack').map((a) => a.id), [good]);
    assert.equal(calls, 1);
  });
});
