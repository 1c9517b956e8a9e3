// Finding one device among many (docs/api.md, GET /admin/v1/devices?q=): the serial number on
// the back of an iPhone, or its UDID, names it on the first page, whatever its place in the list.
import { type E2E, startE2E } from '../../kit/e2e';
import { createTenant } from '../../lambdas/service/tenants';

let e: E2E;
beforeAll(async () => {
  // One shared identity for the fleet (enrollShared): signatures are not required.
  e = await startE2E({ config: { requireSignature: false } });
  await e.uploadPushCert();
});
afterAll(async () => {
  await e?.stop();
});

it('finds an Apple device by its exact serial number or UDID on the first page, with a page of one', async () => {
  const fleet = await e.enrollShared(6);
  // The last one in id order: a search that read the list would reach it last.
  const wanted = [...fleet].sort((a, b) => a.udid.localeCompare(b.udid)).at(-1)!;
  for (const q of [wanted.serial, wanted.udid]) {
    const res = await e.api('GET', `/admin/v1/devices?q=${encodeURIComponent(q)}&limit=1`);
    expect(res.status).toBe(200);
    const page = res.body as { items: Array<{ id: string; serialNumber: string | null }> };
    expect([q, page.items.map((d) => d.id)]).toEqual([q, [wanted.udid]]);
    expect(page.items[0].serialNumber).toBe(wanted.serial);
  }
  // Another tenant's key does not find it.
  const otherKey = (await createTenant(e.local.app, { id: 'other', name: 'Other' })).adminKey;
  const res = await e.api('GET', `/admin/v1/devices?q=${encodeURIComponent(wanted.serial)}`, undefined, otherKey);
  expect((res.body as { items: unknown[] }).items).toEqual([]);
});
