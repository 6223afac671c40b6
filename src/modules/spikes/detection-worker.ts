import { parentPort } from 'node:worker_threads';
import { computeDetection, type DetectionWork } from './detection-job';

parentPort?.on('message', ({ id, work }: { id: number; work: DetectionWork }) => {
  parentPort?.postMessage({ id, results: computeDetection(work) });
});
