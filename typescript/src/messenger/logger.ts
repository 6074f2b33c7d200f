// The logger a handler gets (context.logger) and the middleware writes to. console fits it, and
// so does any logger with these four methods taking a message and an object of fields.

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const consoleLogger: Logger = {
  debug: (m, f) => console.debug(m, f ?? ''),
  info: (m, f) => console.info(m, f ?? ''),
  warn: (m, f) => console.warn(m, f ?? ''),
  error: (m, f) => console.error(m, f ?? ''),
};

const nothing = (): void => undefined;
export const silentLogger: Logger = { debug: nothing, info: nothing, warn: nothing, error: nothing };

/** A logger that adds `bindings` (message id, type, attempt) to every line's fields. */
export function childLogger(base: Logger, bindings: Record<string, unknown>): Logger {
  const bind =
    (level: keyof Logger) =>
    (message: string, fields?: Record<string, unknown>): void =>
      base[level](message, { ...bindings, ...fields });
  return { debug: bind('debug'), info: bind('info'), warn: bind('warn'), error: bind('error') };
}
