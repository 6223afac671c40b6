import { z } from 'zod';
import { AppError } from '../http/app-error';
import { type ColumnMap, parseColumnMap } from '../modules/tickets/csv-tickets';
import { importCsvTickets } from '../modules/tickets/import.service';
import { Card, PageHeader } from '../view-kit/components';
import { PostForm, SelectField, TextField } from '../view-kit/fields';
import { emptyForm, type FormState } from '../view-kit/form-state';
import { type ConsoleContext, createConsoleRouter, render, signedIn } from './console-router';
import { type FormProblem, formPost } from './form-post';
import { PAGE_ROLES } from './layout';

export const importRoutes = createConsoleRouter();
const ops = signedIn(PAGE_ROLES.import);

const ImportFieldsSchema = z.object({
  source: z.string().trim().min(1).max(100),
  map: z.string().max(2000),
  on_error: z.enum(['reject', 'skip']),
});

type ImportFields = { source: string; map: ColumnMap; onError: 'reject' | 'skip' };

function importFromForm(values: Record<string, string>) {
  const parsed = ImportFieldsSchema.safeParse({
    source: values.source ?? '',
    map: values.map ?? '',
    on_error: values.on_error ?? 'reject',
  });
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) {
      errors[String(issue.path[0])] ??= values[String(issue.path[0])]
        ? issue.message
        : 'This is required.';
    }
    return { errors };
  }
  try {
    const map = parseColumnMap(parsed.data.map ? [parsed.data.map] : []);
    return { data: { source: parsed.data.source, map, onError: parsed.data.on_error } };
  } catch (error) {
    return { errors: { map: (error as Error).message } };
  }
}

function importPage(
  c: ConsoleContext,
  form: FormState = emptyForm({ source: 'csv', on_error: 'reject' }),
  problem?: FormProblem,
) {
  const limitMb = Math.floor(c.var.deps.config.bodyLimitBytes / 1024 / 1024);
  return render(
    c,
    'Import tickets',
    <>
      <PageHeader
        title="Import tickets"
        meta={
          `A CSV export of tickets, up to ${limitMb} MB here ` +
          '(npm run import sends bigger files). Importing the same file again changes nothing.'
        }
      />
      <Card id="import" title="A CSV export of tickets">
        <PostForm action="/console/import" csrf={c.var.session.csrfToken} class="narrow" multipart>
          <label for="file">File</label>
          <input
            type="file"
            id="file"
            name="file"
            accept=".csv,text/csv"
            aria-invalid={form.errors.file ? 'true' : 'false'}
            aria-describedby={form.errors.file ? 'file-error' : undefined}
          />
          {form.errors.file ? (
            <p class="error" id="file-error">
              {form.errors.file}
            </p>
          ) : (
            ''
          )}
          <TextField
            state={form}
            name="source"
            label="Source"
            hint="where the tickets come from, for rows without a source column"
          />
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
      </Card>
    </>,
    problem ? { status: problem.status, flash: { ok: false, text: problem.summary } } : {},
  );
}

importRoutes.get('/console/import', ops, (c) => importPage(c));

const fileProblem = (message: string) =>
  new AppError('validation_failed', message, [{ location: 'body', path: 'file', message }]);

importRoutes.post(
  '/console/import',
  ops,
  formPost<ImportFields>(importFromForm, {
    page: (c, state, problem) => importPage(c, state, problem),
    invalid: 'Fix the fields marked below; nothing was imported.',
    save: async (c, input) => {
      // The body is parsed once (and kept) by the form handler; the file is in it.
      const field = (await c.req.parseBody({ all: true })).file;
      const file = Array.isArray(field) ? field[0] : field;
      if (!(file instanceof File) || file.size === 0) {
        throw fileProblem('Choose a CSV file to import.');
      }
      let result: Awaited<ReturnType<typeof importCsvTickets>>;
      try {
        result = await importCsvTickets(c.var.deps, file.stream(), input);
      } catch (error) {
        if (error instanceof AppError && error.code === 'malformed_body') {
          throw fileProblem(error.detail);
        }
        if (error instanceof AppError && error.code === 'validation_failed') {
          const detail = error.errors?.[0];
          throw fileProblem(
            detail ? `${error.detail} ${detail.path}: ${detail.message}` : error.detail,
          );
        }
        throw error;
      }
      const skipped = result.rejected > 0 ? `, ${result.rejected} bad rows skipped` : '';
      return {
        to: '/console/reasons',
        message:
          `Imported ${result.received.toLocaleString('en')} rows: ` +
          `${result.inserted.toLocaleString('en')} new tickets, ` +
          (result.updated > 0 ? `${result.updated.toLocaleString('en')} updated, ` : '') +
          `${result.duplicates.toLocaleString('en')} already known${skipped}. ` +
          'Spike detection runs on the new history in the background.',
      };
    },
  }),
);
