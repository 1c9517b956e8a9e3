// Shared set-up for the Android e2e suites: the whole product in-process, with the agent push
// boundary (AgentPushSender) in place of FCM, and a small admin client.

import { AgentPushSender, SimulatedAndroidAgent } from '../../kit/android-agent';
import type { Clock } from '../../lambdas/ports';
import { type LocalServer, startLocal } from '../../lambdas/wiring/local';

export interface AndroidWorld {
  local: LocalServer;
  fcm: AgentPushSender;
  /** Moves the server's clock forward (expiry tests). */
  advance(ms: number): void;
  admin<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    key?: string,
  ): Promise<{ status: number; body: T }>;
  /** An agent enrolled with a fresh enrollment token (optionally for a template), pushes wired. */
  /** `offline`: the agent holds pushes from the start (a test then drives the session by hand). */
  enrolledAgent(opts?: {
    templateId?: string;
    serialNumber?: string;
    offline?: boolean;
  }): Promise<SimulatedAndroidAgent>;
  device(id: string): Promise<Record<string, unknown>>;
  /** Polls until `check` returns truthy (or fails after `ms`). */
  waitFor<T>(
    what: string,
    check: () => Promise<T | undefined | false> | T | undefined | false,
    ms?: number,
  ): Promise<T>;
  stop(): Promise<void>;
}

export async function startAndroidWorld(opts: { immediatePushes?: boolean } = {}): Promise<AndroidWorld> {
  let offset = 0;
  const clock: Clock = { now: () => new Date(Date.now() + offset) };
  const fcm = new AgentPushSender({ immediate: opts.immediatePushes });
  const local = await startLocal({ inMemory: true, port: 0, schedules: false, clock, push: { fcm } });

  const admin: AndroidWorld['admin'] = async (method, path, body, key = local.credentials.adminKey) => {
    const res = await fetch(`${local.url}/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as never };
  };

  const waitFor: AndroidWorld['waitFor'] = async (what, check, ms = 30_000) => {
    const until = Date.now() + ms;
    let last: unknown;
    for (;;) {
      last = await check();
      if (last) return last as never;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 15));
    }
  };

  return {
    local,
    fcm,
    admin,
    waitFor,
    advance: (ms) => {
      offset += ms;
    },
    async enrolledAgent(opts = {}) {
      const enrollment = await admin<{ token: string; qrPayload: string }>('POST', '/enrollments', {
        platform: 'android',
        ...(opts.templateId ? { templateId: opts.templateId } : {}),
      });
      if (enrollment.status !== 201)
        throw new Error(`enrollment: ${enrollment.status} ${JSON.stringify(enrollment.body)}`);
      const agent = SimulatedAndroidAgent.fromQrPayload(enrollment.body.qrPayload, { serialNumber: opts.serialNumber });
      // An "offline" agent is registered for pushes only after it enrolled and went offline, so
      // the enrollment push can never reach it first, however the machine is loaded.
      if (!opts.offline) fcm.register(agent);
      const res = await agent.enroll();
      if (res.status !== 201) throw new Error(`enroll: ${res.status} ${JSON.stringify(res.body)}`);
      if (opts.offline) {
        agent.setOffline(true);
        fcm.register(agent);
      }
      return agent;
    },
    async device(id) {
      const res = await admin('GET', `/devices/${id}`);
      if (res.status !== 200) throw new Error(`device ${id}: ${res.status}`);
      return res.body;
    },
    async stop() {
      await local.queue.drained();
      await fcm.delivered();
      await local.stop();
    },
  };
}
