import { z } from '@hono/zod-openapi';

/** Whether a string from a URL or a form can be compared with a uuid column without a 500. */
export const isUuid = (value: string) => z.uuid().safeParse(value).success;
