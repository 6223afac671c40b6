import type { Deps } from '../../deps';

/** Where an incident's own page lives: the Statuspage `shortlink`, absolute. */
export const incidentUrl = (deps: Deps, incidentId: string) =>
  `${deps.config.publicUrl}/status/incidents/${incidentId}`;
