// `npm start -- …` in a child process, as a user runs it: its own process group (like a terminal job,
// so a signal reaches npm, tsx and node alike), output collected, and a wait for a line of it.
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/** A running `npm start`. */
export interface NpmStart {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Settles once every process holding the output pipes (npm, tsx, node) has gone. */
  readonly exited: Promise<number | null>;
  /** Signal the whole process group (no-op when it is already gone). */
  signal(sig: NodeJS.Signals): void;
  /** The first match of `pattern` in the output. @throws with the output on timeout or early exit */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Start `npm start -- ...args` in the project root. */
export function npmStart(args: readonly string[]): NpmStart {
  const child = spawn('npm', ['start', '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((ok) => child.on('close', (code) => ok(code)));
  return {
    child,
    output: () => out,
    exited,
    signal: (sig) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    },
    waitFor: async (pattern, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const m = out.match(pattern);
        if (m) return m;
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`Timed out waiting for ${pattern}; output:\n${out}`);
    },
  };
}
