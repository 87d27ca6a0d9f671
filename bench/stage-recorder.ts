// Time, CPU and peak RSS of consecutive loader stages in one process. Stages are either wrapped
// explicitly (run) or recognised from the loader's own stage log lines ("> name" ... "  name done in"),
// so buildBundle is measured as the pipeline runs it, not as a copy of it. Work between two logged
// stages (e.g. scores, recommender export) becomes its own interval, named by GAP_NAMES.
import { peakRssMiB, resetPeakRss, rssMiB } from './proc-memory';

export interface StageMeasurement {
  name: string;
  seconds: number;
  /** User + system CPU of the whole process (all threads) during the stage. */
  cpuSeconds: number;
  startRssMiB: number;
  endRssMiB: number;
  /** Peak RSS of the process while the stage ran (memory held by earlier stages included). */
  peakRssMiB: number;
}

/** Intervals between two logged buildBundle stages: what runs there (loader/pipeline.ts). */
const GAP_NAMES: Record<string, string> = {
  'ingest ratings': 'scores',
  'train recommender': 'recommender export',
};
/** Unnamed intervals shorter than this are bookkeeping, not stages. */
const MIN_GAP_SECONDS = 0.05;

export class StageRecorder {
  readonly stages: StageMeasurement[] = [];
  readonly peakResets: boolean;
  private current: { name: string; named: boolean; t0: number; cpu0: NodeJS.CpuUsage; rss0: number } | null = null;

  constructor() {
    this.peakResets = resetPeakRss();
  }

  begin(name: string, named = true): void {
    this.end();
    resetPeakRss();
    this.current = { name, named, t0: performance.now(), cpu0: process.cpuUsage(), rss0: rssMiB() };
  }

  end(): void {
    const c = this.current;
    if (!c) return;
    this.current = null;
    const seconds = (performance.now() - c.t0) / 1000;
    if (!c.named && seconds < MIN_GAP_SECONDS) return;
    const cpu = process.cpuUsage(c.cpu0);
    this.stages.push({
      name: c.name,
      seconds: round(seconds),
      cpuSeconds: round((cpu.user + cpu.system) / 1e6),
      startRssMiB: Math.round(c.rss0),
      endRssMiB: Math.round(rssMiB()),
      peakRssMiB: Math.round(peakRssMiB()),
    });
  }

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.begin(name);
    try {
      return await fn();
    } finally {
      this.end();
    }
  }

  /** A loader Log that turns stage start/end lines into measurements (and passes every line on). */
  logHook(pass: (line: string) => void = () => {}): (line: string) => void {
    return (line) => {
      const start = /^> (.+)$/.exec(line);
      const done = /^ {2}(.+?) done in [\d.]+s/.exec(line);
      if (start) this.begin(start[1]);
      else if (done && this.current?.name === done[1]) {
        this.end();
        this.begin(GAP_NAMES[done[1]] ?? `after ${done[1]}`, done[1] in GAP_NAMES);
      }
      pass(line);
    };
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
