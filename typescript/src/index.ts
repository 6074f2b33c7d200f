// symphony-messenger: the TypeScript client of the Symphony broker.
// The protocol codec, the connection layer (Connection: one socket, pipelined requests), the
// client (SymphonyClient: reconnects, coalesced dispatches, deliveries) and, on top, the seeds'
// Messenger API (dispatch(), HandlerRegistry, Worker, defineMessage, SyncTransport...).
// Message and DispatchOptions are the seeds' (the Messenger's); the client's own are exported as
// ClientMessage and ClientDispatchOptions.
export * from './protocol/index.js';
export { ConfigError, TransportError, type TransportErrorKind } from './errors.js';
export {
  DEFAULT_URL,
  parseUrl,
  resolveConnectionConfig,
  type ConnectionConfig,
  type ConnectionOptions,
  type Env,
  type ResolveOptions,
  type SettingsOptions,
  type TlsOptions,
} from './config.js';
export { isValidQueueName, MAX_QUEUE_NAME_BYTES } from './queue-name.js';
export {
  Connection,
  type ConnectionListener,
  type ConnectionSettings,
  type ConnectionState,
  type RequestOptions,
} from './connection.js';
export {
  DispatchError,
  prepareMessage,
  type DispatchEnvelope,
  type DispatchOptions as ClientDispatchOptions,
  type DispatchReceipt,
  type Message as ClientMessage,
  type PreparedMessage,
} from './message.js';
export type { ReceivedDelivery } from './delivery.js';
export type { HealthReport, Overview } from './documents.js';
export {
  SymphonyClient,
  type ClientCounters,
  type ClientEvent,
  type ClientOptions,
  type CloseOptions,
  type DispatchEntry,
  type NackModeName,
} from './client.js';
export * from './messenger/index.js';
