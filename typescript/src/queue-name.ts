// Queue names (docs/protocol.md §5.3): 1..255 bytes of [A-Za-z0-9._:-]. The broker applies the
// same rule to SYMPHONY_DEFAULT_QUEUE and to a DISPATCH's queue field.

/** The longest queue name (max_type_bytes, 255 by default). */
export const MAX_QUEUE_NAME_BYTES = 255;

const QUEUE_NAME = /^[A-Za-z0-9._:-]+$/;

export function isValidQueueName(name: string, maxBytes = MAX_QUEUE_NAME_BYTES): boolean {
  // the allowed characters are ASCII, so the length in characters is the length in bytes
  return name.length >= 1 && name.length <= maxBytes && QUEUE_NAME.test(name);
}
