import { expect } from 'vitest';
import { readJson } from './read-json';

/** Asserts the response is problem+json with this status and code; returns the body. */
export async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const body = await readJson(response);
  expect(body).toMatchObject({ status, code, instance: response.headers.get('x-request-id') });
  expect(body.type).toBe(`https://forestall.dev/problems/${code}`);
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}
