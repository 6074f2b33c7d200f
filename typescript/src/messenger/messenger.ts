// The Messenger: the seeds' dispatcher (dispatch, dispatchBatch, dispatchToTransports) and the
// operations on one broker, with its configuration (routing, transports, defaults, retry).
//
//   const messenger = new Messenger({ connection: { url: 'symphony://broker:7400' },
//                                     routing: { EmailMessage: 'email' } });
//   const r = await messenger.dispatch({ type: 'EmailMessage', payload: {...} }, { priority: 7 });
//   r.messageId  // "42"
//
// The broker connection is made on first use (and remade after a loss by the client).
// Configured with a SyncTransport, it runs handlers in process and needs no broker (operations
// are then unavailable).
import { SymphonyClient, type ClientOptions } from '../client.js';
import type { Env } from '../config.js';
import { BrokerTransport } from './broker-transport.js';
import { FailedMessages } from './failed-messages.js';
import type { HealthStatus, MetricsReport, SystemStatus } from './figures.js';
import { Operations, type MessageStatusInfo, type MetricsOptions, type OperationsClient } from './operations.js';
import { buildRequest } from './outgoing.js';
import { MessengerSettings, type DispatcherConfig } from './settings.js';
import type { SendRequest, Transport } from './transport.js';
import type { BatchDispatchResult, DispatchOptions, DispatchOutcome, Message } from './types.js';
import { Worker, type WorkerOptions } from './worker.js';

export interface MessengerConfig extends DispatcherConfig {
  /** Where dispatches go. Default: the broker (a BrokerTransport on `client`). */
  transport?: Transport;
  /** A client to share (not closed by close()). Default: one made from `connection` and `env`. */
  client?: SymphonyClient;
  /** Connection settings (url, token, tls, timeouts...); SYMPHONY_URL etc. fill the rest. */
  connection?: ClientOptions;
  /** Where SYMPHONY_* settings are read from. Default: process.env. */
  env?: Env;
}

export class Messenger {
  /** The configuration in effect; changes apply to the next dispatch (the seeds' runtime
   *  config manager). */
  readonly settings: MessengerSettings;
  readonly transport: Transport;
  /** Dead letters: list, get, retry, delete. */
  readonly failed: FailedMessages;
  private readonly ops: Operations;
  private closed = false;

  constructor(config: MessengerConfig = {}) {
    const env = config.env ?? config.connection?.env ?? process.env;
    this.settings = new MessengerSettings(config, env);
    if (config.transport) this.transport = config.transport;
    else if (config.client) this.transport = new BrokerTransport(config.client, false);
    else this.transport = new BrokerTransport(new SymphonyClient({ ...config.connection, env }), true);
    this.ops = new Operations(() => this.opsClient());
    this.failed = new FailedMessages(() => this.opsClient());
  }

  /** The broker client (throws for a Messenger on another transport). */
  get client(): SymphonyClient {
    const t = this.transport;
    if (t instanceof BrokerTransport && t.client instanceof SymphonyClient) return t.client;
    throw new Error(`this Messenger dispatches through the ${t.name} transport and has no broker client`);
  }

  /** Sends one message; resolves once the broker confirmed it. Rejects with a
   *  MessageValidationError (nothing sent), a DispatchError (the broker refused it) or a
   *  TransportError (it could not be confirmed; resending with the same idempotencyKey is safe). */
  async dispatch(message: Message, options: DispatchOptions = {}): Promise<DispatchOutcome> {
    this.checkOpen();
    return this.transport.send(buildRequest(message, options, this.settings));
  }

  /** Sends several messages together (one DISPATCH frame); one result per message, in order. A
   *  bad message fails alone. An `idempotencyKey` in `options` becomes "<key>:<index>". */
  dispatchBatch(messages: readonly Message[], options: DispatchOptions = {}): Promise<BatchDispatchResult[]> {
    return Promise.all(
      messages.map((m, i) => {
        const o = options.idempotencyKey === undefined ? options : { ...options, idempotencyKey: `${options.idempotencyKey}:${i}` };
        return this.settle(m, () => this.dispatch(m, o));
      }),
    );
  }

  /** Fan-out: the message to each transport (or queue), one result per transport, in order. All
   *  copies share one idempotency key (the broker deduplicates per queue). */
  async dispatchToTransports(message: Message, transports: readonly string[], options: DispatchOptions = {}): Promise<BatchDispatchResult[]> {
    this.checkOpen();
    let base: SendRequest;
    try {
      base = buildRequest(message, options, this.settings);
    } catch (err) {
      return transports.map((transport) => failure(message, err, { transport }));
    }
    return Promise.all(
      transports.map((name) => {
        const target = this.settings.target(name, options.priority);
        return this.settle(message, () => this.transport.send({ ...base, targets: [target] }), { transport: name, queue: target.queue });
      }),
    );
  }

  /** A Worker on this Messenger's broker client, with the config's worker settings as defaults. */
  createWorker(options: Omit<WorkerOptions, 'client'>): Worker {
    const w = this.settings.get().worker;
    return new Worker({ batchSize: w.batchSize, maxConcurrency: w.maxConcurrency, ...options, client: this.client });
  }

  health(): Promise<HealthStatus> {
    return this.ops.health();
  }

  status(): Promise<SystemStatus> {
    return this.ops.status();
  }

  metrics(options: MetricsOptions = {}): Promise<MetricsReport> {
    return this.ops.metrics(options);
  }

  /** The broker's Prometheus text. */
  metricsText(): Promise<string> {
    return this.ops.metricsText();
  }

  messageStatus(id: string | bigint): Promise<MessageStatusInfo | null> {
    return this.ops.messageStatus(id);
  }

  /** Sends what was dispatched, then closes the client if this Messenger made it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.transport.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('the Messenger is closed');
  }

  private opsClient(): OperationsClient {
    return this.client;
  }

  private async settle(message: Message, send: () => Promise<DispatchOutcome>, where: { transport?: string; queue?: string } = {}): Promise<BatchDispatchResult> {
    try {
      const outcome = await send();
      return where.transport === undefined ? { ...outcome, success: true } : { ...outcome, success: true, transport: where.transport };
    } catch (err) {
      return failure(message, err, where);
    }
  }
}

function failure(message: unknown, err: unknown, where: { transport?: string; queue?: string }): BatchDispatchResult {
  const type = typeof message === 'object' && message !== null && typeof (message as Message).type === 'string' ? (message as Message).type : '';
  const r: BatchDispatchResult = { success: false, error: err instanceof Error ? err : new Error(String(err)), type };
  if (where.transport !== undefined) r.transport = where.transport;
  if (where.queue !== undefined) r.queue = where.queue;
  return r;
}
