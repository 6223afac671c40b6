import { resumeImports } from '../../tickets/import-runs.service';
import type { Job } from '../job';

/** Takes up console imports whose instance stopped mid-run, from their last committed batch. */
export const resumeImportsJob: Job = {
  name: 'resume-imports',
  schedule: '* * * * *',
  run: (deps, _now, stop) => resumeImports(deps, stop),
};
