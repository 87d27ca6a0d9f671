// Carries a loader Bundle from the Node global setup into workerd (vitest's provide/inject only takes
// JSON-like values): KV bytes travel as base64. Runtime-agnostic (btoa/atob exist in both).
import type { DataHealth, Title } from '../../contract';
import type { Bundle } from '../../loader/publish';

export interface TransportedBundle {
  version: string;
  kv: [key: string, value: { text: string } | { base64: string }][];
  titles: Title[];
  health: DataHealth;
  /** Where the titles' scores came from, so tests know which published figures apply. */
  scores: 'summary-means' | 'ratings-sample';
}

declare module 'vitest' {
  export interface ProvidedContext {
    workerBundle: TransportedBundle;
  }
}

const CHUNK = 0x8000;

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function packBundle(bundle: Bundle, scores: TransportedBundle['scores']): TransportedBundle {
  return {
    version: bundle.version,
    kv: [...bundle.kv].map(([key, value]) => [key, typeof value === 'string' ? { text: value } : { base64: toBase64(value) }]),
    titles: bundle.titles,
    health: bundle.health,
    scores,
  };
}

export function unpackBundle(packed: TransportedBundle): Bundle {
  return {
    version: packed.version,
    kv: new Map(packed.kv.map(([key, value]) => [key, 'text' in value ? value.text : fromBase64(value.base64)])),
    titles: packed.titles,
    health: packed.health,
  };
}
