// Hello-world answering with the shape of a catalog answer: `/get_max_duration`'s headers and body as
// the API sends them (bytes fixed, request id counted), and no other work. Side by side with plain
// hello-world and the API (bench/side-by-side.ts), it tells what the answer's shape costs on the way
// through wrangler and workerd from what the worker's code costs.
const BODY =
  '{"id":"ns8328","title":"the gospel of luke","platform":"netflix","type":"movie","release_year":2015,"duration_int":205,"duration_type":"min"}';
let served = 0;

export default {
  fetch(): Response {
    return new Response(BODY, {
      headers: {
        'X-Request-Id': `81b98a81dd98ebb6-${(served++).toString(36)}`,
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Expose-Headers': 'ETag, X-Data-Version, X-Request-Id, Allow, Retry-After, Idempotent-Replayed, WWW-Authenticate',
        'X-Content-Type-Options': 'nosniff',
        'X-Data-Version': '5ec119854e28cd63',
        'Content-Type': 'application/json',
        'Cache-Control': 'public, max-age=60, stale-while-revalidate=300',
        ETag: '"8fe2ae86ce5c3fc6"',
      },
    });
  },
};
