// The shape of bench/results.json. Sections are replaced by the runs that measure them (`--only`), so
// each carries when it was measured and how busy the machine was before and after.
import type { ApiResult } from './api-bench';
import type { LoaderRun } from './loader-stages';
import type { HotSpot } from './cpu-profile';
import type { ColdStart, IsolateCpu } from './isolate-cpu';
import type { EndpointName } from './endpoint-mixes';
import type { LoadSnapshot, MachineInfo } from './machine';

export interface Measured {
  measuredAt: string;
  machineLoad: { before: LoadSnapshot; after: LoadSnapshot };
}

export interface RawToServing {
  /** From starting the load (rating files present, no bundle cache, fresh stores) to /health answering 200. */
  seconds: number;
  loadSeconds: number;
  serverStartSeconds: number;
  loadPeakRssMiB: number;
  version: string;
  rows: number;
}

export interface BundleSize {
  scriptBytes: number;
  gzipBytes: number;
  files: string[];
}

/** bench/router-cost.ts's answer: nanoseconds per request, routing plus a stub endpoint's answer. */
export interface RouterCost {
  mapNs: number;
  ittyNs: number;
  /** ittyNs - mapNs: what itty-router adds to each request. */
  addedNs: number;
  requests: number;
  rounds: number;
}

export interface LoaderHotSpots {
  [profile: string]: { totalMs: number; gcMs: number; spots: HotSpot[] };
}

/** Where each endpoint's CPU goes inside the isolate, against hello-world's, and its cold first request. */
export interface IsolateProfile {
  scale: number;
  seconds: number;
  hello: IsolateCpu;
  endpoints: Partial<Record<EndpointName, IsolateCpu>>;
  coldStart: Partial<Record<EndpointName, ColdStart>>;
}

export interface BenchResults {
  generatedAt: string;
  machine: MachineInfo;
  bundle?: Measured & BundleSize;
  router?: Measured & RouterCost;
  loader?: Measured & { runs: LoaderRun[]; hotSpots?: LoaderHotSpots };
  e2e?: Measured & RawToServing;
  api?: Measured & ApiResult;
  /** The API section's second run in the same bench: the targets must hold in both. */
  apiRepeat?: Measured & ApiResult;
  cpu?: Measured & IsolateProfile;
  targets: Target[];
  growth: GrowthCheck[];
}

export interface Target {
  name: string;
  measured: string;
  limit: string;
  pass: boolean;
}

export interface GrowthCheck {
  name: string;
  /** Cost at the larger scale over the cost at the base scale (null: none at the base scale). */
  ratio: number | null;
  /** The most the ratio may be: the ratings ratio (loader) or flat (per request), with the stated tolerance. */
  allowed: number;
  pass: boolean;
}
