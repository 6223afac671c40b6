/**
 * A reason's verdicts as a `reason_verdicts` row stores them: Postgres array literals, the
 * status and stage letters in one text, the explanations as JSON. Built on the detection
 * thread, beside the fit, so the request thread only passes text on; and only when the
 * verdicts differ from the stored ones (by digest), so a recompute that changes nothing
 * writes nothing.
 */
export type VerdictRow = {
  observed: string;
  expected: string;
  usual: string;
  probability: string;
  history: string;
  status: string;
  explanations: string;
};

export type VerdictParts = {
  counts: ArrayLike<number>;
  expected: Float64Array;
  usual: Float64Array;
  probability: Float64Array;
  history: Int32Array;
  /** `status|stage` letters, as stored. */
  status: string;
  explanations: string;
};

export function verdictRow(parts: VerdictParts): VerdictRow {
  return {
    observed: arrayLiteral(parts.counts),
    expected: arrayLiteral(parts.expected),
    usual: arrayLiteral(parts.usual),
    probability: arrayLiteral(parts.probability),
    history: arrayLiteral(parts.history),
    status: parts.status,
    explanations: parts.explanations,
  };
}

const arrayLiteral = (values: ArrayLike<number>) =>
  `{${Array.from(values, (v) => (Number.isFinite(v) ? String(v) : '0')).join(',')}}`;

/**
 * 64 bits over the exact values (the doubles' bits, not their text): two independent 32-bit
 * multiply-xor lanes. It only tells a reason's fresh verdicts from its own stored ones, never
 * guards against a crafted collision, so a fast non-cryptographic hash is enough (sha256 over
 * the text costs as much as the write it saves).
 */
export function verdictDigest(parts: VerdictParts): string {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  const mix = (word: number) => {
    a = Math.imul(a ^ word, 0x01000193);
    b = Math.imul(b ^ word, 0x5bd1e995);
    b ^= b >>> 15;
  };
  const words = (view: Float64Array | Int32Array) => {
    const ints = new Int32Array(view.buffer, view.byteOffset, view.byteLength / 4);
    mix(ints.length);
    for (const int of ints) mix(int);
  };
  const text = (value: string) => {
    mix(value.length);
    for (let i = 0; i < value.length; i++) mix(value.charCodeAt(i));
  };
  words(Float64Array.from(parts.counts));
  words(parts.expected);
  words(parts.usual);
  words(parts.probability);
  words(parts.history);
  text(parts.status);
  text(parts.explanations);
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`;
}
