// Worker entry: the catalog API (routing, validation and headers live in router.ts) and the cron
// fold that applies posted ratings to the live data (fold.ts).
import { runFold } from './fold';
import { handleRequest } from './router';

export default {
  fetch: (request, env) => handleRequest(request, env),
  async scheduled(controller, env) {
    try {
      const result = await runFold(env);
      console.log(JSON.stringify({ level: 'info', event: 'fold', cron: controller.cron, ...result }));
    } catch (error) {
      // Rethrown so the platform records a failed run; the next run resumes the same fold.
      console.error(
        JSON.stringify({
          level: 'error',
          event: 'fold',
          cron: controller.cron,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
      );
      throw error;
    }
  },
} satisfies ExportedHandler<Env>;
