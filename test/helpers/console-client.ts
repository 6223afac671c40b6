import type { TestApp } from './test-app';

/** A browser's cookie jar and form posts, over the real app. */
export function consoleClient(t: TestApp) {
  const cookies = new Map<string, string>();
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = (pair ?? '').split('=');
      if (name) cookies.set(name, value ?? '');
    }
    return response;
  };
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const get = async (path: string) =>
    remember(await t.app.request(path, { headers: { cookie: cookieHeader() } }));
  const post = async (path: string, fields: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(fields))
      for (const v of [value].flat()) body.append(key, v);
    return remember(
      await t.app.request(path, {
        method: 'POST',
        headers: { cookie: cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
      }),
    );
  };
  const csrfOf = (markup: string) => /name="_csrf" value="([^"]+)"/.exec(markup)?.[1] ?? '';
  const signIn = async (key: string) => {
    const form = await (await get('/console/sign-in')).text();
    return post('/console/sign-in', { _csrf: csrfOf(form), api_key: key, next: '/console' });
  };
  return { get, post, csrfOf, signIn, cookies };
}
