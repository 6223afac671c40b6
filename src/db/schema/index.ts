export * from './api-keys';
export * from './job-runs';
