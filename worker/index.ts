// Worker entry: the catalog API. Routing, validation and headers live in router.ts.
import { handleRequest } from './router';

export default {
  fetch: (request, env) => handleRequest(request, env),
} satisfies ExportedHandler<Env>;
