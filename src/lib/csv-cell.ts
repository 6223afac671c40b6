// A cell a spreadsheet would read as a formula (OWASP's list: = + - @, tab, carriage return).
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A text cell for a CSV people open in a spreadsheet: one that starts like a formula gets a
 * leading `'`, so it shows as the text it is instead of running (`=HYPERLINK(...)` in a ticket
 * reason). Numbers are not text cells and stay as they are, negative ones included.
 */
export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}
