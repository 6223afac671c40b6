import { z } from 'zod';
import { AppError } from '../http/app-error';
import { limitBodyOr } from '../http/body-limit';
import { countOf, sizeInWords } from '../lib/count-words';
import { CHARSET_FIELD, type ColumnMap, parseColumnMap } from '../modules/tickets/csv-tickets';
import {
  checkCsvUpload,
  importRunByToken,
  recentImportRuns,
  runImport,
  startImportRun,
} from '../modules/tickets/import-runs.service';
import { type OtherSource, shareOf, storedUnderOtherSource } from '../modules/tickets/other-source';
import { Card, PageHeader } from '../view-kit/components';
import { Checkboxes, FileField, PostForm, SelectField, TextField } from '../view-kit/fields';
import { emptyForm, type FormState } from '../view-kit/form-state';
import {
  type ConsoleContext,
  createConsoleRouter,
  formBody,
  render,
  signedIn,
} from './console-router';
import { type FormProblem, formPost } from './form-post';
import { RecentImports, runPath } from './import-run.routes';
import { PAGE_ROLES } from './layout';
import { PENDING_FORMS_PATH } from './pending-forms-script';

export const importRoutes = createConsoleRouter();
export const IMPORT_PATH = '/console/import';
const ops = signedIn(PAGE_ROLES.import);

// What spreadsheets and help desks commonly export; the API takes any charset it can read.
const ENCODINGS = [
  ['utf-8', 'UTF-8'],
  ['windows-1252', 'Windows-1252 (Excel on Windows, Western Europe)'],
  ['windows-1250', 'Windows-1250 (Central Europe)'],
  ['windows-1251', 'Windows-1251 (Cyrillic)'],
  ['utf-16le', 'UTF-16 (Excel "Unicode text")'],
  ['shift_jis', 'Shift JIS (Japanese)'],
  ['gb18030', 'GB18030 (Chinese)'],
  ['euc-kr', 'EUC-KR (Korean)'],
] as const;
type Encoding = (typeof ENCODINGS)[number][0];

const ImportFieldsSchema = z.object({
  import_token: z.uuid(),
  source: z.string().trim().min(1).max(100),
  map: z.string().max(2000),
  on_error: z.enum(['reject', 'skip']),
  charset: z.enum(ENCODINGS.map(([value]) => value) as [Encoding, ...Encoding[]]),
  store_anyway: z.enum(['yes']).optional(),
});

type ImportFields = {
  /** The form's one-time token: a second submit of the same form starts no second import. */
  token: string;
  source: string;
  map: ColumnMap;
  onError: 'reject' | 'skip';
  charset: Encoding;
  /** Ticked after being told the file's ids are stored under another source already. */
  storeAnyway: boolean;
};

function importFromForm(values: Record<string, string>) {
  const parsed = ImportFieldsSchema.safeParse({
    import_token: values.import_token ?? '',
    source: values.source ?? '',
    map: values.map ?? '',
    on_error: values.on_error ?? 'reject',
    charset: values.charset ?? 'utf-8',
    store_anyway: values.store_anyway || undefined,
  });
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) {
      if (issue.path[0] === 'import_token') {
        errors.file ??= 'This form is out of date: reload the page and choose the file again.';
        continue;
      }
      errors[String(issue.path[0])] ??= values[String(issue.path[0])]
        ? issue.message
        : 'This is required.';
    }
    return { errors };
  }
  try {
    const map = parseColumnMap(parsed.data.map ? [parsed.data.map] : []);
    const { import_token: token, source, on_error: onError, charset } = parsed.data;
    const storeAnyway = parsed.data.store_anyway === 'yes';
    return { data: { token, source, map, onError, charset, storeAnyway } };
  } catch (error) {
    return { errors: { map: (error as Error).message } };
  }
}

const blankForm = () => emptyForm({ source: 'csv', on_error: 'reject', charset: 'utf-8' });

async function importPage(c: ConsoleContext, form: FormState = blankForm(), problem?: FormProblem) {
  const limit = sizeInWords(c.var.deps.config.bodyLimitBytes);
  const recent = await recentImportRuns(c.var.deps, 5);
  return render(
    c,
    'Import tickets',
    <>
      <PageHeader
        title="Import tickets"
        meta={
          `A CSV export of tickets, or the same compressed as .csv.gz, up to ${limit} ` +
          'here (npm run import sends bigger files). Importing the same file again changes ' +
          'nothing.'
        }
      />
      <Card id="import" title="A CSV export of tickets">
        <PostForm
          action="/console/import"
          csrf={c.var.session.csrfToken}
          class="narrow"
          multipart
          pending="Importing…"
        >
          {/* New on every page: a repeat of this submit finds the import it started. */}
          <input type="hidden" name="import_token" value={crypto.randomUUID()} />
          <FileField
            state={form}
            name="file"
            label="File"
            accept=".csv,.gz,text/csv,application/gzip"
          />
          <SelectField
            state={form}
            name="charset"
            label="Encoding"
            hint="of the CSV text; UTF-8 unless the export says otherwise"
            options={ENCODINGS}
          />
          <TextField
            state={form}
            name="source"
            label="Source"
            hint="where the tickets come from, for rows without a source column"
          />
          {form.errors.store_anyway || form.values.store_anyway ? (
            <Checkboxes
              state={form}
              name="store_anyway"
              legend="Ids stored under another source"
              options={[['yes', 'Import anyway: they are other tickets that share ids']]}
            />
          ) : (
            ''
          )}
          <TextField
            state={form}
            name="map"
            label="Column names"
            hint="only when they differ, e.g. created_at=opened,reason=type"
          />
          <SelectField
            state={form}
            name="on_error"
            label="A bad row"
            options={[
              ['reject', 'stops the import; nothing is written'],
              ['skip', 'is skipped and counted'],
            ]}
          />
          <button type="submit">Import</button>
        </PostForm>
        <script src={PENDING_FORMS_PATH} defer />
      </Card>
      <Card id="recent" title="Recent imports">
        <RecentImports runs={recent} />
      </Card>
    </>,
    problem ? { status: problem.status, flash: { ok: false, text: problem.summary } } : {},
  );
}

importRoutes.get(IMPORT_PATH, ops, (c) => importPage(c));

/**
 * An upload over BODY_LIMIT_BYTES, answered with the form (413, nothing kept past the limit,
 * so the other fields are back at their defaults) and the file's size against the limit.
 */
function tooLargePage(c: ConsoleContext, declaredBytes: number | undefined) {
  const { bodyLimitBytes, importMaxBytes } = c.var.deps.config;
  const size = declaredBytes
    ? `about ${sizeInWords(declaredBytes, 'up')}`
    : `over ${sizeInWords(bodyLimitBytes)}`;
  const message =
    `The file is ${size}; this server takes up to ${sizeInWords(bodyLimitBytes)} per upload ` +
    `here. Split it, or send it with npm run import or POST /v1/tickets/import, which take ` +
    `up to ${sizeInWords(importMaxBytes)}.`;
  return importPage(
    c,
    { ...blankForm(), errors: { file: message } },
    { status: 413, summary: 'The file is too large for this form; nothing was imported.' },
  );
}

const fieldProblem = (field: 'file' | 'charset', message: string) =>
  new AppError('validation_failed', message, [{ location: 'body', path: field, message }]);
const fileProblem = (message: string) => fieldProblem('file', message);

/** The file's problem on the form's fields: what the API says of a body, said of the file. */
function asFieldProblem(error: unknown): unknown {
  if (
    error instanceof AppError &&
    (error.code === 'malformed_body' || error.code === 'payload_too_large')
  ) {
    return fileProblem(error.detail);
  }
  // The service names the HTTP fix (a charset in Content-Type); here it is the Encoding field.
  const notInEncoding =
    error instanceof AppError && error.errors?.find((e) => e.path === CHARSET_FIELD);
  if (notInEncoding) {
    return fieldProblem(
      'charset',
      `${notInEncoding.message.replace('The CSV', 'The file')}: choose the encoding it ` +
        'was saved in (a spreadsheet saved as CSV on Windows is often Windows-1252).',
    );
  }
  if (error instanceof AppError && error.code === 'validation_failed') {
    const detail = error.errors?.[0];
    return fileProblem(detail ? `${error.detail} ${detail.path}: ${detail.message}` : error.detail);
  }
  return error;
}

importRoutes.post(
  IMPORT_PATH,
  ops,
  limitBodyOr(tooLargePage),
  formPost<ImportFields>(importFromForm, {
    page: (c, state, problem) => importPage(c, state, problem),
    invalid: 'Fix the fields marked below; nothing was imported.',
    save: async (c, input) => {
      const { deps } = c.var;
      const running = await importRunByToken(deps, input.token);
      if (running) return { to: runPath(running.id), message: ALREADY_STARTED };
      // The body is parsed once (and kept) by the form handler; the file is in it.
      const field = (await formBody(c)).file;
      const file = Array.isArray(field) ? field[0] : field;
      if (!(file instanceof File) || file.size === 0) {
        throw fileProblem('Choose a CSV file to import.');
      }
      const upload = new Uint8Array(await file.arrayBuffer());
      const { token, ...options } = input;
      const checkedAt = deps.clock.now();
      let checked: Awaited<ReturnType<typeof checkCsvUpload>>;
      try {
        // Judged at checkedAt, as the run judges them: its batches are the run's to write.
        const asChecked = { ...deps, clock: { now: () => checkedAt } };
        checked = await checkCsvUpload(asChecked, upload, options);
      } catch (error) {
        throw asFieldProblem(error);
      }
      // Kept batches are handed to the run, or dropped here: they hold the budget until then.
      let handedOver = false;
      try {
        const { rows } = checked;
        if (rows === 0) throw fileProblem(NO_ROWS);
        const other = input.storeAnyway
          ? undefined
          : await storedUnderOtherSource(deps.db, checked.firstTickets);
        if (other) throw storedAlready(other);
        const run = await startImportRun(deps, {
          formToken: token,
          apiKeyId: c.var.session.principal.keyId,
          fileName: file.name,
          upload,
          options,
          rowsTotal: rows,
          checkedAt,
        });
        if (run.started) {
          handedOver = true;
          deps.background(() => runImport(deps, run.id, checked.batches));
        }
        // The run's page names the file (cut short, from the run): its name, as long as the
        // sender likes, stays out of the redirect.
        return {
          to: runPath(run.id),
          message: run.started
            ? `The file is read: ${countOf(rows, 'row')} to import.`
            : ALREADY_STARTED,
        };
      } finally {
        if (!handedOver) checked.batches?.drop();
      }
    },
  }),
);

/** The file's tickets look stored already under another source: asked, not imported twice. */
function storedAlready(other: OtherSource) {
  const share = shareOf(other);
  const message =
    `${countOf(other.matched, 'ticket')} of the first ${other.sampled.toLocaleString('en')} ` +
    `in this file (${share}%) have ids stored already under the source "${other.source}". ` +
    `Tickets are known by source and id, so under "${other.as}" they would be stored a ` +
    `second time and counted twice. If they are the same tickets, choose "${other.source}" ` +
    'as Source; if they are other tickets that happen to share ids, tick this box. Then ' +
    'choose the file again.';
  return new AppError(
    'conflict',
    `Nothing was imported: this file looks imported already under "${other.source}".`,
    [{ location: 'body', path: 'store_anyway', message }],
  );
}

/** A file of no rows (empty, even once decompressed, or only a header) starts no import. */
const NO_ROWS =
  'The file has no rows to import: it is empty, or holds only its header. Choose the export ' +
  'again; nothing was imported.';

const ALREADY_STARTED = 'This upload was sent before; here is the import it started.';
