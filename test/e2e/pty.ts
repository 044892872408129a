/**
 * A small pseudo-terminal driver for end-to-end tests of the interactive prompts.
 *
 * No native module: python3's `pty` module forks the command on a new pseudo-terminal
 * (so it sees a TTY on stdin, stdout and stderr), copies the terminal's output to its own
 * stdout, copies its own stdin to the terminal as keystrokes, and exits with the
 * command's exit code. The test waits until the (ANSI-stripped) output shows a text, then
 * sends keys.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { sleep } from './helpers.js';

const RELAY = String.raw`
import errno, fcntl, os, pty, select, signal, struct, sys, termios
argv = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    # The child: its stdin/stdout/stderr are the terminal. Give it a real size.
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 40, int(os.environ.get('PTY_COLUMNS', '120')), 0, 0))
    os.execvp(argv[0], argv)
def forward(signum, _frame):
    try:
        os.kill(pid, signum)
    except OSError:
        pass
signal.signal(signal.SIGTERM, forward)
signal.signal(signal.SIGINT, forward)
out = sys.stdout.buffer
stdin_open = True
while True:
    fds = [fd] + ([0] if stdin_open else [])
    try:
        ready, _, _ = select.select(fds, [], [])
    except InterruptedError:
        continue
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError as error:
            if error.errno != errno.EIO:
                raise
            data = b''
        if not data:
            break  # EIO: the child and everything holding the terminal are gone.
        out.write(data)
        out.flush()
    if 0 in ready:
        data = os.read(0, 65536)
        if data:
            os.write(fd, data)
        else:
            stdin_open = False
_, status = os.waitpid(pid, 0)
if os.WIFEXITED(status):
    sys.exit(os.WEXITSTATUS(status))
sys.exit(128 + os.WTERMSIG(status))
`;

/** Keys as a terminal sends them. */
export const KEY = {
  up: '\u001b[A',
  down: '\u001b[B',
  enter: '\r',
  ctrlC: '\u0003',
} as const;

// CSI (colours, cursor movement, erase), OSC (titles), and two-byte escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '').replace(/\r/g, '');
}

export interface PtyResult {
  code: number | null;
  /** All output, ANSI stripped. */
  output: string;
}

export interface PtyOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The whole session is killed after this long. */
  timeoutMs?: number;
  /** The terminal's width (default 120). */
  columns?: number;
}

export class PtySession {
  private readonly child: ChildProcessWithoutNullStreams;
  private raw = '';
  /** Offset in the stripped output up to which earlier waits have consumed it. */
  private cursor = 0;
  private exited: { code: number | null } | undefined;
  private readonly timer: NodeJS.Timeout;
  readonly done: Promise<PtyResult>;

  constructor(command: string[], options: PtyOptions) {
    const env = options.columns === undefined ? options.env : { ...options.env, PTY_COLUMNS: String(options.columns) };
    this.child = spawn('python3', ['-c', RELAY, ...command], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.raw += chunk));
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.raw += chunk));
    this.timer = setTimeout(() => this.kill(), options.timeoutMs ?? 30_000);
    this.done = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code) => {
        clearTimeout(this.timer);
        this.exited = { code };
        resolve({ code, output: this.output() });
      });
    });
  }

  /** Everything shown so far, without ANSI escapes and carriage returns. */
  output(): string {
    return stripAnsi(this.raw);
  }

  /** Everything shown so far, escapes and all. */
  rawOutput(): string {
    return this.raw;
  }

  /**
   * Waits until the output after the previous match shows `pattern`, then moves past it,
   * so waiting twice for the same prompt text waits for the prompt to be shown twice.
   */
  async waitFor(pattern: string | RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.output();
      const rest = text.slice(this.cursor);
      const match = typeof pattern === 'string' ? indexOf(rest, pattern) : rest.match(pattern);
      if (match) {
        this.cursor += (match.index ?? 0) + match[0].length;
        return match[0];
      }
      if (this.exited) throw new Error(`the program exited (code ${this.exited.code}) before showing ${String(pattern)}; output:\n${text}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)}; output:\n${text}`);
      await sleep(20);
    }
  }

  /** Types keys, one at a time with a pause, the way a person would. */
  async send(...keys: string[]): Promise<void> {
    for (const key of keys) {
      this.child.stdin.write(key);
      await sleep(60);
    }
  }

  /** Waits for a prompt, lets it settle (enquirer listens once it has rendered), then types. */
  async answer(pattern: string | RegExp, ...keys: string[]): Promise<void> {
    await this.waitFor(pattern);
    await sleep(150);
    await this.send(...keys);
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

function indexOf(text: string, needle: string): { index: number; 0: string } | null {
  const index = text.indexOf(needle);
  return index === -1 ? null : { index, 0: needle };
}
