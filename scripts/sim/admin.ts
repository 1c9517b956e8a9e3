// A small client of the admin REST API (docs/api.md): what the simulator does as an operator.
export interface DeviceSummary {
  id: string;
  platform: string;
  syncState: string;
  registrationState: string;
}

export interface Dashboard {
  syncStates: Record<string, number>;
  registrationStates: Record<string, number>;
  alarms: { critical: number; major: number; minor: number; warning: number };
  activeAlarms: Array<{ severity: string; message: string }>;
}

export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  /** Calls the API; throws unless the status is the expected one. */
  async call<T>(method: string, path: string, body?: unknown, expect = method === 'POST' ? 201 : 200): Promise<T> {
    const res = await fetch(`${this.baseUrl}/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== expect)
      throw new Error(`${method} /admin/v1${path} answered HTTP ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  dashboard(): Promise<Dashboard> {
    return this.call('GET', '/dashboard');
  }

  /** Every device on a template, following the cursor. */
  async devicesOfTemplate(templateId: string): Promise<DeviceSummary[]> {
    const out: DeviceSummary[] = [];
    let cursor: string | undefined;
    do {
      const q = new URLSearchParams({ templateId, limit: '500', ...(cursor ? { cursor } : {}) });
      const page = await this.call<{ items: DeviceSummary[]; cursor?: string }>('GET', `/devices?${q}`);
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return out;
  }
}
