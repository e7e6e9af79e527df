// What `npm start` prints, decided in one place: every line this process writes to stdout or stderr is appended to
// `<dataDir>/logs/platform.log`, and the terminal keeps the platform's own lines (the banner, heartbeat alarms and
// their clearing, errors) but only the handlers' JSON log lines at the chosen level or above, so an alarm is never
// scrolled away by INFO lines. The file is capped: past the cap it becomes `platform.log.1` (replacing the one before)
// and a fresh file starts, so the logs never hold more than twice the cap. EMF documents are metrics, not logs: a
// handler bundle (which carries its own Metrics instance) prints them to stdout as on Lambda, and they go to the
// metrics sink only, as CloudWatch takes them out of a Lambda's log stream.
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const LOG_FILE = join('logs', 'platform.log');

/** What the terminal shows of the handlers' logs: this level and the more severe ones. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const isLogLevel = (value: string): value is LogLevel => (LOG_LEVELS as readonly string[]).includes(value);

export interface PlatformLogOptions {
  readonly dataDir: string;
  readonly terminalLevel: LogLevel;
  /** Receives every EMF document printed to stdout. */
  readonly onEmf: (emfLine: string) => void;
  /** The size at which the log file is rotated. @default 10 MiB */
  readonly maxBytes?: number;
}

export interface PlatformLog {
  /** The log file's path. */
  readonly file: string;
  /** Gives stdout and stderr back their own writers and closes the file. */
  close(): void;
}

/** Powertools Logger's level names (its `level` field), least severe first. */
const SEVERITY: Readonly<Record<string, number>> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, CRITICAL: 5 };

type Line = { readonly kind: 'emf' } | { readonly kind: 'log'; readonly severity: number } | { readonly kind: 'text' };

function classify(line: string): Line {
  if (!line.startsWith('{')) return { kind: 'text' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { kind: 'text' };
  }
  if (typeof parsed !== 'object' || parsed === null) return { kind: 'text' };
  if ('_aws' in parsed) return { kind: 'emf' };
  // A JSON line without a known level is an INFO line: it is data, not a warning.
  const level = String((parsed as { level?: unknown }).level ?? 'INFO').toUpperCase();
  return { kind: 'log', severity: SEVERITY[level] ?? (SEVERITY.INFO as number) };
}

/** An append-only file rotated to `<file>.1` when the next line would take it past `maxBytes`. */
function cappedFile(file: string, maxBytes: number) {
  mkdirSync(dirname(file), { recursive: true });
  let fd = openSync(file, 'a');
  let size = fstatSync(fd).size;
  return {
    append(text: string): void {
      const bytes = Buffer.byteLength(text);
      if (size > 0 && size + bytes > maxBytes) {
        closeSync(fd);
        renameSync(file, `${file}.1`);
        fd = openSync(file, 'a');
        size = 0;
      }
      // Synchronous, so nothing is lost when `npm start` exits right after its last line.
      writeSync(fd, text);
      size += bytes;
    },
    close: () => closeSync(fd),
  };
}

type Write = NodeJS.WriteStream['write'];
type WriteCallback = (error?: Error | null) => void;

export function startPlatformLog(options: PlatformLogOptions): PlatformLog {
  const file = join(options.dataDir, LOG_FILE);
  const threshold = SEVERITY[options.terminalLevel.toUpperCase()] as number;
  const log = cappedFile(file, options.maxBytes ?? 10 * 1024 * 1024);
  // A log file that cannot be written (disk full) must not fail the handler that logged: the terminal gets everything.
  let fileFailure: Error | undefined;

  const route = (stream: NodeJS.WriteStream) => {
    const original = stream.write;
    const write = original.bind(stream) as (text: string, callback?: WriteCallback) => boolean;
    stream.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback) => {
      const done = typeof encoding === 'function' ? encoding : callback;
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
      let shown = '';
      for (const line of text.split(/(?<=\n)/)) {
        if (line === '') continue;
        const kind = classify(line.trimEnd());
        if (kind.kind === 'emf') {
          options.onEmf(line.trimEnd());
          continue;
        }
        if (!fileFailure) {
          try {
            log.append(line.endsWith('\n') ? line : `${line}\n`);
          } catch (error) {
            fileFailure = error as Error;
            shown += `The log file ${file} cannot be written (${fileFailure.message}); every line goes to this terminal from now on.\n`;
          }
        }
        if (kind.kind === 'text' || kind.severity >= threshold || fileFailure) shown += line;
      }
      if (shown !== '') return write(shown, done);
      if (done) process.nextTick(done);
      return true;
    }) as Write;
    return () => {
      stream.write = original;
    };
  };
  const restores = [route(process.stdout), route(process.stderr)];

  return {
    file,
    close() {
      for (const restore of restores) restore();
      log.close();
    },
  };
}
