import { limitStream } from '../../http/body-limit';

/**
 * The gzip stream's expanded bytes, read from `compressed` only as fast as they are consumed.
 * `pipeThrough(new DecompressionStream('gzip'))` is not enough on Node: its writable side
 * queues up to 16,384 chunks before it pushes back, so the whole upload is read (and held)
 * while the CSV reader is still at its first rows, and a limit on the expanded bytes could
 * not stop the reading. Here each chunk is handed over only once the last one was taken in.
 */
export function gunzip(compressed: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const decompression = new DecompressionStream('gzip');
  const writer = decompression.writable.getWriter();
  const reader = compressed.getReader();
  const feed = async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return writer.close();
      await writer.write(value);
    }
  };
  // A bad body fails the expanded stream with its own error; an expanded stream cancelled
  // (its limit reached) fails the feed, which stops reading the body.
  feed().catch((error: unknown) => {
    writer.abort(error).catch(() => {});
    reader.cancel(error).catch(() => {});
  });
  return decompression.readable;
}

/**
 * A .csv.gz's CSV bytes, under the import limit on expanded bytes: gzip can expand a
 * thousandfold, so they are counted as they stream and reading stops once they pass it.
 */
export const gunzippedCsv = (compressed: ReadableStream<Uint8Array>, maxBytes: number) =>
  limitStream(gunzip(compressed), maxBytes, 'The CSV, once decompressed,');
