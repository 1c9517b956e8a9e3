// The dashboard: a constant number of reads (the counter shards and the active alarms), whatever
// the fleet size.
import { dashboardFromCounters } from '../domain/counters';
import type { App } from './container';

export async function dashboard(app: App, tenantId: string) {
  const [counters, alarms] = await Promise.all([
    app.stores.counters.read(tenantId),
    app.stores.alarms.list(tenantId, 100),
  ]);
  const view = dashboardFromCounters(counters, alarms);
  return view;
}
