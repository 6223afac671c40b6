import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * Pages render times in UTC; this shows each `<time datetime>` in the reader's own zone and
 * language, and lets the reader type the times of forms (fields labelled "(UTC)") in that zone:
 * they are shown in it, relabelled with its name, and sent back in UTC. Without JavaScript the
 * UTC text and fields stay.
 */
export const LOCAL_TIMES_SCRIPT = `(() => {
  const format = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short',
    day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
  for (const element of document.querySelectorAll('time[datetime]')) {
    const at = new Date(element.getAttribute('datetime'));
    if (!Number.isNaN(at.getTime()) && element.getAttribute('datetime').length > 10) {
      element.title = element.getAttribute('datetime');
      element.textContent = format.format(at);
    }
  }
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const pad = (n) => String(n).padStart(2, '0');
  const local = (at) => at.getFullYear() + '-' + pad(at.getMonth() + 1) + '-' +
    pad(at.getDate()) + 'T' + pad(at.getHours()) + ':' + pad(at.getMinutes());
  for (const input of document.querySelectorAll('input[type="datetime-local"][id]')) {
    const label = document.querySelector('label[for="' + input.id + '"]');
    const text = label && [...label.childNodes].find((node) =>
      node.nodeType === 3 && node.textContent.includes('(UTC)'));
    if (!text) continue;
    text.textContent = text.textContent.replace('(UTC)', '(' + zone + ')');
    const at = new Date(input.value + 'Z');
    if (input.value && !Number.isNaN(at.getTime())) input.value = local(at);
    input.dataset.localTime = 'true';
  }
  document.addEventListener('submit', (event) => {
    for (const input of event.target.querySelectorAll('input[data-local-time]')) {
      const at = new Date(input.value);
      if (input.value && !Number.isNaN(at.getTime())) input.value = at.toISOString().slice(0, 16);
    }
  }, true);
})();
`;

const version = bytesToHex(sha256(utf8ToBytes(LOCAL_TIMES_SCRIPT))).slice(0, 12);

/** Named by its content, so pages can let browsers keep it for a year. */
export const LOCAL_TIMES_PATH = `/assets/local-times-${version}.js`;
