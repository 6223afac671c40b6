import { walkProbe } from '../modules/events/calendar-check';
import { readIcsFeed } from '../modules/events/ics-feed';
import { movedExclusions } from '../modules/events/moved-exclusions';
import { expandCalendar, expandCalendarJson, nextWindows } from '../modules/events/occurrences';
import { holdoutAssessments } from '../modules/impact/campaign-assessment';
import { estimateObservational } from '../modules/impact/observational-estimate';
import { matchPatterns } from '../modules/patterns/match-patterns';
import { assembleReport, preventedContactsReportJson } from '../modules/reports/report-assembly';
import {
  preventedPerCampaignChart,
  savingsChart,
  weeklyContactsChart,
} from '../modules/reports/report-charts';
import { computeDetection } from '../modules/spikes/detection-job';

/**
 * Pure work that may leave the request thread: each task takes plain data (what structured
 * cloning carries: objects, arrays, Dates, Maps, typed arrays) and returns plain data.
 */
export const computeTasks = {
  detection: computeDetection,
  occurrences: expandCalendar,
  occurrencesJson: expandCalendarJson,
  nextWindows,
  movedExclusions,
  occurrenceProbe: walkProbe,
  icsFeed: readIcsFeed,
  patterns: matchPatterns,
  observational: estimateObservational,
  holdoutAssessments,
  preventedContactsReport: assembleReport,
  preventedContactsReportJson,
  weeklyChart: weeklyContactsChart,
  preventedChart: preventedPerCampaignChart,
  savingsChart,
  /** Answers once a thread has loaded the code of every task (see `Compute.warm`). */
  ready: () => true,
};

export type ComputeTasks = typeof computeTasks;
export type TaskName = keyof ComputeTasks;
export type TaskInput<K extends TaskName> = Parameters<ComputeTasks[K]>[0];
export type TaskOutput<K extends TaskName> = ReturnType<ComputeTasks[K]>;

/**
 * Runs a task: on a worker thread on Node (`threadCompute`), inline where there are none
 * (Workers, where ranges are bounded to fit the CPU limit, and tests that do not ask).
 */
export type Compute = (<K extends TaskName>(
  task: K,
  input: TaskInput<K>,
  slot?: number,
) => Promise<TaskOutput<K>>) & {
  /** True when tasks leave the thread that answers requests. */
  offThread?: boolean;
  /** How many tasks run at once (threads), when there is more than one. */
  threads?: number;
  /** Starts the threads now, so the first request that needs one does not pay for it. */
  warm?: () => Promise<void>;
};

// A mapped type lets one call site run any task with its own input and output types.
const tasks: { [K in TaskName]: (input: TaskInput<K>) => TaskOutput<K> } = computeTasks;

export function runTask<K extends TaskName>(task: K, input: TaskInput<K>): TaskOutput<K> {
  return tasks[task](input);
}

export const inlineCompute: Compute = async (task, input) => runTask(task, input);
