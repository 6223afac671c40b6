import { AppError } from '../http/app-error';
import { hashOfRequest, idempotencyRecord } from '../http/idempotency';
import { isUuid } from '../lib/is-uuid';
import { ONE_TIME_KEY_FIELD } from '../view-kit/fields';
import { type ConsoleContext, render } from './console-router';

/** How long a repeat waits for the first submit with its key to finish before saying so. */
const WAIT_FOR_FIRST_MS = 10_000;
const POLL_MS = 50;

/**
 * An answer for the first submit only, as it shows a secret that is stored nowhere (a new API
 * key's): a repeat of the submit is led by `repeat`, a redirect to what the first made.
 */
export type ShownOnce = { shownOnce: Response; repeat: Response };

/** What a submit's work answers: a response any repeat may get again, or one shown once. */
export type CarriedOut = Response | ShownOnce;

/** The answer for the submit that did the work. */
export const firstAnswer = (answered: CarriedOut) =>
  answered instanceof Response ? answered : answered.shownOnce;

/**
 * Carries out a form's submit once per one-time key, with the API's idempotency keys (under
 * the signed-in API key; the form's key is a fresh uuid, so two people sharing an API key never
 * meet): the first submit runs `answer`; a repeat of it gets the redirect the first answered
 * with, and one arriving while the first runs waits for it (an answer shown once is never
 * kept: its `repeat` is). Only a redirect, the mark of work done, is kept: a form shown again
 * (with errors) frees the key, so the fixed form sent with it is carried out, unless its work
 * had committed (then a repeat hears that it was carried out). A form sent without a key (a
 * page shown before keys existed) runs as before, as an API request without
 * `Idempotency-Key` does.
 */
export async function oncePerKey(
  c: ConsoleContext,
  values: Record<string, string>,
  answer: () => Promise<CarriedOut>,
): Promise<Response> {
  const key = values[ONE_TIME_KEY_FIELD];
  if (!key) return firstAnswer(await answer());
  if (!isUuid(key)) {
    throw new AppError('malformed_body', 'The form is damaged; reload the page and send it again.');
  }
  const { db, clock } = c.var.deps;
  // A space keeps these apart from any key an API client can send (printable, no spaces).
  const stored = idempotencyRecord(db, c.var.session.principal.keyId, `console ${key}`);
  const requestHash = hashOfRequest(`POST ${c.req.path}\n${formContents(values)}`);
  const claimed = await claimWaiting(() => stored.claim(requestHash, clock.now()));
  if (claimed === 'sent with other contents') return sentWithOtherContents(c);
  // Only redirects are kept for a form; any other answer says the first's answer was lost.
  if (claimed?.status === 303) return claimed;
  if (claimed) throw new AppError('idempotency_answer_lost', ANSWER_LOST);
  let answered: CarriedOut;
  try {
    answered = await stored.run(answer);
  } catch (error) {
    // Work that committed before the failure (an email queued, then a cache refresh threw)
    // must not run again on a reload.
    await stored.failed(c.var.requestId);
    throw error;
  }
  const repeat = answered instanceof Response ? answered : answered.repeat;
  if (repeat.status === 303) await stored.keep(repeat);
  else await stored.failed(c.var.requestId);
  return firstAnswer(answered);
}

/** The fields that make the submit what it is, in a fixed order (not the session's token). */
const formContents = (values: Record<string, string>) =>
  JSON.stringify(
    Object.entries(values)
      .filter(([field]) => field !== '_csrf' && field !== ONE_TIME_KEY_FIELD)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );

/** The claim, waiting while the first submit with the key still runs. */
async function claimWaiting(claim: () => Promise<Response | undefined>) {
  const giveUpAt = Date.now() + WAIT_FOR_FIRST_MS;
  for (;;) {
    try {
      return await claim();
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === 'idempotency_key_reused') return 'sent with other contents';
      if (error.code !== 'idempotency_key_in_use') throw error;
      if (Date.now() >= giveUpAt) throw new AppError('idempotency_key_in_use', STILL_RUNNING);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const ANSWER_LOST =
  'This form was sent before and carried out, but its answer was lost; look for what it made ' +
  'or changed before sending it again.';

const STILL_RUNNING =
  'This form was sent a moment ago and is still being carried out; reload in a moment to see ' +
  'where it led.';

/**
 * A key is one submit: the same form sent again with other contents (changed after the back
 * button) is refused with a 422, as the API refuses a reused key. Taken for the first, it would
 * drop the changes unseen; carried out, it would be the second submit the key is there to stop.
 */
const sentWithOtherContents = (c: ConsoleContext) =>
  render(
    c,
    'Sent before',
    <>
      <h1>This form was sent before</h1>
      <p>
        It was sent before with other contents, and that was carried out; nothing was done now. To
        send something new, open the form again.
      </p>
      <p>
        <a href="/console">Back to the overview</a>
      </p>
    </>,
    { status: 422 },
  );
