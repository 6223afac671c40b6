/** bench:workers' baseline: the least a Worker can answer, a fixed JSON body. */
export default {
  fetch: () =>
    new Response('{"account_id":"acct-0","locale":"en","notices":[]}', {
      headers: { 'content-type': 'application/json' },
    }),
};
