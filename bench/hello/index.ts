// The ceiling for the API load test: the smallest worker that answers, on the same wrangler/workerd.
export default {
  fetch(): Response {
    return new Response('Hello World!', { headers: { 'Content-Type': 'text/plain' } });
  },
};
