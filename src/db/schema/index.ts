export * from './api-keys';
export * from './events';
export * from './job-runs';
export * from './reason-aliases';
export * from './reason-weeks';
export * from './reasons';
export * from './tickets';
export * from './workspace-settings';
