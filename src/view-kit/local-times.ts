import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * Pages render times in UTC; this shows each `<time datetime>` in the reader's own zone and
 * language. Without JavaScript the UTC text stays.
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
})();
`;

const version = bytesToHex(sha256(utf8ToBytes(LOCAL_TIMES_SCRIPT))).slice(0, 12);

/** Named by its content, so pages can let browsers keep it for a year. */
export const LOCAL_TIMES_PATH = `/assets/local-times-${version}.js`;
