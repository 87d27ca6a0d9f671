// Secrets are set with `wrangler secret put` (locally in .dev.vars), so `wrangler types` cannot see
// them in wrangler.toml. Optional: when INGEST_TOKEN is unset, POST /ratings answers 503.
declare namespace Cloudflare {
  interface Env {
    /** Bearer token for POST /ratings. */
    INGEST_TOKEN?: string;
  }
}
