export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;
export type Logger = Record<LogLevel, (message: string, fields?: LogFields) => void> & {
  /** Whether `level` is written at all, so callers can skip building what would be dropped. */
  writes(level: LogLevel): boolean;
};

const LEVELS: Record<LogLevel | 'silent', number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 100,
};

export type LogSink = (line: string, level: LogLevel) => void;

const consoleSink: LogSink = (line, level) => {
  if (level === 'error' || level === 'warn') console.error(line);
  else console.log(line);
};

/** JSON lines, one per event. Callers never pass secrets: keys are logged by prefix only. */
export function createLogger(minimum: LogLevel | 'silent', sink: LogSink = consoleSink): Logger {
  const write =
    (level: LogLevel) =>
    (message: string, fields: LogFields = {}) => {
      if (LEVELS[level] < LEVELS[minimum]) return;
      sink(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }), level);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    writes: (level) => LEVELS[level] >= LEVELS[minimum],
  };
}
