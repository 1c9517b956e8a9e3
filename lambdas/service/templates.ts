// Templates: what devices must hold. A change re-syncs every device that uses it.
import { conflict, notFound, unprocessable } from '../domain/errors';
import { templateChanged } from '../domain/events';
import type { Template, TemplateItem } from '../domain/types';
import { randomId } from '../ids';
import { logEvent } from './audit';
import { startSyncFanout } from './bulk-commands';
import type { App } from './container';
import { emitEvents } from './events';

export interface TemplateInput {
  name: string;
  items: TemplateItem[];
  prohibitedApps?: string[];
}

/** A template is one DynamoDB item (400 KB); keep room for its keys and attributes. */
export const MAX_TEMPLATE_BYTES = 350_000;

function checkSize(input: TemplateInput): void {
  const size = Buffer.byteLength(JSON.stringify(input));
  if (size > MAX_TEMPLATE_BYTES) {
    throw unprocessable(
      `the template is ${size} bytes; at most ${MAX_TEMPLATE_BYTES} fit (host large apps and books by URL)`,
    );
  }
  const seen = new Set<string>();
  for (const item of input.items) {
    const key = `${item.kind}:${item.identifier}`;
    if (seen.has(key)) throw unprocessable(`the template lists ${item.kind} ${item.identifier} twice`);
    seen.add(key);
  }
}

export async function createTemplate(app: App, tenantId: string, input: TemplateInput): Promise<Template> {
  checkSize(input);
  const at = app.clock.now().toISOString();
  const template: Template = {
    tenantId,
    id: randomId('tpl'),
    name: input.name,
    items: input.items,
    prohibitedApps: input.prohibitedApps ?? [],
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  await app.stores.templates.create(template);
  await logEvent(app, tenantId, 'template-created', `template ${template.name} (${template.id}) created`, {
    data: { templateId: template.id },
  });
  return template;
}

export async function getTemplate(app: App, tenantId: string, id: string): Promise<Template> {
  const template = await app.stores.templates.get(tenantId, id);
  if (!template) throw notFound('template');
  return template;
}

/**
 * Replaces a template (version + 1) and starts the fan-out that makes every checked-in device
 * using it Sync-Required and pushes it (GET /admin/v1/commands/{syncOperationId} follows it).
 */
export async function replaceTemplate(
  app: App,
  tenantId: string,
  id: string,
  input: TemplateInput,
): Promise<{ template: Template; syncOperationId: string }> {
  checkSize(input);
  const current = await getTemplate(app, tenantId, id);
  const template: Template = {
    ...current,
    name: input.name,
    items: input.items,
    prohibitedApps: input.prohibitedApps ?? [],
    version: current.version + 1,
    updatedAt: app.clock.now().toISOString(),
  };
  await app.stores.templates.replace(template, current.version);
  await logEvent(
    app,
    tenantId,
    'template-changed',
    `template ${template.name} changed to version ${template.version}`,
    { data: { templateId: id, version: template.version } },
  );
  const syncOperationId = await startSyncFanout(
    app,
    tenantId,
    { templateId: id, registrationState: 'Checked-In' },
    'template-change',
  );
  await emitEvents(app, tenantId, [templateChanged(template, syncOperationId)]);
  return { template, syncOperationId };
}

export async function deleteTemplate(app: App, tenantId: string, id: string): Promise<void> {
  await getTemplate(app, tenantId, id);
  const users = await app.stores.devices.list(tenantId, { templateId: id }, undefined, 10);
  if (users.items.some((d) => d.registrationState !== 'Withdrawn'))
    throw conflict('the template is assigned to devices; assign them another template first');
  await app.stores.templates.delete(tenantId, id);
  await logEvent(app, tenantId, 'template-deleted', `template ${id} deleted`, { data: { templateId: id } });
}

export const templateView = ({ tenantId: _t, ...rest }: Template) => rest;
