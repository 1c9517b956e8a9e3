// Live progress on stderr: on a terminal, one bar per sync state redrawn in place; otherwise (a
// log file, CI) a plain line every few seconds.
import type { SimProgress } from './run';

const STATES = ['Sync-Required', 'Sync-Requested', 'Not-Synchronized', 'Synchronized', 'Not-Responding'] as const;
const BAR = 30;
const PLAIN_EVERY_MS = 5000;

export class ProgressView {
  private drawn = 0;
  private lastPlain = 0;
  private lastPhase = '';

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(p: SimProgress): void {
    const head =
      `${p.phase} ${p.seconds.toFixed(0)} s` +
      (p.done !== undefined ? `  ${p.done}/${p.total}` : '') +
      `  pushes ${p.pushes}  sessions ${p.sessionsBusy}  (expect ${p.expected} Synchronized)`;
    if (!this.out.isTTY) {
      if (p.phase === this.lastPhase && Date.now() - this.lastPlain < PLAIN_EVERY_MS) return;
      this.lastPhase = p.phase;
      this.lastPlain = Date.now();
      this.out.write(`${head}  ${STATES.map((s) => `${s} ${p.syncStates[s] ?? 0}`).join(', ')}\n`);
      return;
    }
    const lines = [
      head,
      ...STATES.map((s) => {
        const n = p.syncStates[s] ?? 0;
        const filled = p.total ? Math.round((Math.min(n, p.total) / p.total) * BAR) : 0;
        return `  ${s.padEnd(17)} ${'█'.repeat(filled)}${'░'.repeat(BAR - filled)} ${n}`;
      }),
    ];
    // Back up over the last drawing and overwrite it line by line.
    const up = this.drawn ? `\x1b[${this.drawn}A` : '';
    this.out.write(up + lines.map((l) => `\x1b[2K${l}\n`).join(''));
    this.drawn = lines.length;
  }

  /** Leaves the last drawing on screen; the next update starts below it. */
  finish(): void {
    this.drawn = 0;
  }
}
