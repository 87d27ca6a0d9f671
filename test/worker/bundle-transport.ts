// Carries a loader Bundle from the Node global setup into workerd. vitest's provide/inject takes
// JSON-like values and the pool sends them in one WebSocket message (32 MiB at most), so the bundle
// travels as gzip-compressed JSON in base64, KV bytes inside as base64. Runtime-agnostic: btoa/atob and
// CompressionStream exist in Node 20 and workerd alike.
import { inject } from 'vitest';
import type { Bundle } from '../../loader/publish/publish';

/** What the integration tests get: the published bundle, plus facts about how it was made. */
export interface TestBundle extends Bundle {
  /** Where the titles' scores came from, so tests know which published figures apply. */
  scores: 'summary-means' | 'ratings-sample';
  /**
   * The same catalog's query index with every score the summary's exact mean (what a full stand-in
   * load computes): the published get_score_count figures (docs/reference.md#summary-file) hold for it.
   */
  summaryMeansIndex: Uint8Array;
}

interface Wire {
  version: string;
  kv: [key: string, value: { text: string } | { base64: string }][];
  titles: Bundle['titles'];
  health: Bundle['health'];
  scores: TestBundle['scores'];
  summaryMeansIndex: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** base64(gzip(JSON)) of the TestBundle built by test/helpers/worker-global-setup.ts. */
    workerBundle: string;
  }
}

const CHUNK = 0x8000;

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function through(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const body = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(body).arrayBuffer());
}

export async function packBundle(bundle: TestBundle): Promise<string> {
  const wire: Wire = {
    version: bundle.version,
    kv: [...bundle.kv].map(([key, value]) => [key, typeof value === 'string' ? { text: value } : { base64: toBase64(value) }]),
    titles: bundle.titles,
    health: bundle.health,
    scores: bundle.scores,
    summaryMeansIndex: toBase64(bundle.summaryMeansIndex),
  };
  return toBase64(await through(new TextEncoder().encode(JSON.stringify(wire)), new CompressionStream('gzip')));
}

export async function unpackBundle(packed: string): Promise<TestBundle> {
  const wire: Wire = JSON.parse(new TextDecoder().decode(await through(fromBase64(packed), new DecompressionStream('gzip'))));
  return {
    version: wire.version,
    kv: new Map(wire.kv.map(([key, value]) => [key, 'text' in value ? value.text : fromBase64(value.base64)])),
    titles: wire.titles,
    health: wire.health,
    scores: wire.scores,
    summaryMeansIndex: fromBase64(wire.summaryMeansIndex),
  };
}

let unpacked: Promise<TestBundle> | undefined;

/** The bundle published for this test file (decoded once per isolate). */
export function testBundle(): Promise<TestBundle> {
  unpacked ??= unpackBundle(inject('workerBundle'));
  return unpacked;
}
