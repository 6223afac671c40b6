import pino from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;
export type Logger = Record<LogLevel, (message: string, fields?: LogFields) => void> & {
  /** Whether `level` is written at all, so callers can skip building what would be dropped. */
  writes(level: LogLevel): boolean;
  /** Writes out at once what is still buffered, before the process exits. */
  flush(): void;
};

/** Where finished lines go instead of stdout (tests capture them). */
export type LogSink = (line: string, level: LogLevel) => void;

/**
 * What must never reach a log, whoever passes it: keys are logged by prefix only, and these
 * fields are censored should a caller hand over a credential or a request's headers anyway.
 */
// Named paths, not wildcards: a wildcard makes pino walk every line's fields (3 µs a line).
const REDACTED = [
  'authorization',
  'cookie',
  'key',
  'api_key',
  'token',
  'secret',
  'password',
  'headers.authorization',
  'headers.cookie',
];

const levelLabel = (label: string) => ({ level: label });

/**
 * JSON lines, one per event, `{"level","time","message",...fields}`, through pino: on Node
 * written to stdout (warnings and errors to stderr) asynchronously, so a request never waits
 * for a write. The Workers bundle gets pino's browser build (wrangler follows the package's
 * `browser` field), which writes each line with `console`.
 */
export function createLogger(minimum: LogLevel | 'silent', sink?: LogSink): Logger {
  const options: pino.LoggerOptions = {
    level: minimum,
    base: undefined,
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: levelLabel },
    redact: REDACTED,
    browser: {
      formatters: { level: levelLabel },
      write: (record) => writeToConsole(record as LogFields, sink),
    },
  };
  // pino's browser build has no streams: it writes through `options.browser.write`.
  const onNode = typeof pino.destination === 'function';
  const destination = onNode ? (sink ? sinkStream(sink) : nodeStreams()) : undefined;
  const logger = destination ? pino(options, destination) : pino(options);
  const write =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (fields) logger[level](fields, message);
      else logger[level](message);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    writes: (level) => logger.isLevelEnabled(level),
    flush: () => destination?.flush(),
  };
}

type Destination = pino.DestinationStream & { flush(): void };

const LEVEL_NAMES: Record<number, LogLevel> = { 20: 'debug', 30: 'info', 40: 'warn', 50: 'error' };

/** Lines handed to `sink` as they are written, with their level (pino tells the stream). */
function sinkStream(sink: LogSink): Destination {
  return {
    [pino.symbols.needsMetadataGsym]: true,
    lastLevel: 30,
    write(line: string) {
      sink(line.trimEnd(), LEVEL_NAMES[this.lastLevel] ?? 'info');
    },
    flush: () => {},
  } as Destination & { lastLevel: number };
}

/** Asynchronous writers on stdout and stderr; pino also flushes them as the process exits. */
function nodeStreams(): Destination {
  const out = pino.destination({ fd: 1, sync: false });
  const err = pino.destination({ fd: 2, sync: false });
  return {
    [pino.symbols.needsMetadataGsym]: true,
    lastLevel: 30,
    write(line: string) {
      (this.lastLevel >= 40 ? err : out).write(line);
    },
    flush: () => {
      out.flushSync();
      err.flushSync();
    },
  } as Destination & { lastLevel: number };
}

/** Workers: what pino's browser build hands over, one JSON line per record. */
function writeToConsole(record: LogFields, sink: LogSink | undefined): void {
  const level = (record.level as LogLevel | undefined) ?? 'info';
  const line = JSON.stringify(record);
  if (sink) sink(line, level);
  // Workers label a line by the console method that wrote it: a warning is not an error.
  else if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}
