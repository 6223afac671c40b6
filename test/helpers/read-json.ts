/** Tests inspect arbitrary JSON bodies; assertions, not types, check their shape. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type JsonBody = any;

export const readJson = (response: Response): Promise<JsonBody> => response.json();
