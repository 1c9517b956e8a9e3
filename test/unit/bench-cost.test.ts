import {
  costLines,
  DEFAULT_ASSUMPTIONS,
  type EventUsage,
  fixedMonthlyUsd,
  fleetCost,
  lambdaGbSeconds,
  monthlyUsage,
  PRICES,
  storedBytesPerDevice,
  ZERO_USAGE,
} from '../../scripts/bench/cost';

const usage = (u: Partial<EventUsage>): EventUsage => ({ ...ZERO_USAGE, ...u });
const assumptions = { ...DEFAULT_ASSUMPTIONS, deviceItemBytes: 2000 };

describe('bench cost model', () => {
  it('adds events by how often they happen in a month', () => {
    const monthly = monthlyUsage(
      { resync: usage({ wru: 10, apiRequests: 4 }), checkin: usage({ wru: 2, apiRequests: 1 }) },
      { resync: 30, checkin: 4 },
    );
    expect(monthly.wru).toBe(308);
    expect(monthly.apiRequests).toBe(124);
    expect(() => monthlyUsage({}, { missing: 1 })).toThrow('missing');
  });

  it('bills Lambda for stretched CPU, DynamoDB waits and rounding, at the memory size', () => {
    // 1024 MB is 1024/1769 of a vCPU: 10 ms of CPU takes 17.275 ms; 5 calls wait 20 ms; 2 invocations round up 1 ms.
    const gbs = lambdaGbSeconds(usage({ lambdaCpuMs: 10, dynamoCalls: 5, lambdaInvocations: 2 }), {
      lambdaMemoryMb: 1024,
      fullVcpuMemoryMb: 1769,
      dynamoLatencyMs: 4,
    });
    expect(gbs).toBeCloseTo((17.275 + 20 + 1) / 1000, 6);
    // Above a full vCPU, CPU is not stretched; memory still scales the price.
    expect(
      lambdaGbSeconds(usage({ lambdaCpuMs: 10 }), { lambdaMemoryMb: 2048, fullVcpuMemoryMb: 1769, dynamoLatencyMs: 4 }),
    ).toBeCloseTo(0.02, 6);
  });

  it('stores the device item with its index entries and 90 days of logs in three copies', () => {
    const bytes = storedBytesPerDevice(usage({ logItems: 10, logBytes: 4000 }), assumptions);
    expect(bytes).toBe(2000 + 100 * 5 + 3 * 3 * (4000 + 10 * 100));
  });

  it('prices each line at the published rate', () => {
    const lines = costLines(
      usage({
        apiRequests: 1e6,
        lambdaInvocations: 1e6,
        wru: 1e6,
        rru: 1e6,
        sqsMessages: 1e6,
        busEvents: 1e6,
        kmsRequests: 1e4,
      }),
      { ...assumptions, deviceItemBytes: 0, itemOverheadBytes: 0 },
    );
    const usd = Object.fromEntries(lines.map((l) => [l.service, l.usd]));
    expect(usd['API Gateway (HTTP API)']).toBeCloseTo(1.0);
    expect(usd['Lambda requests']).toBeCloseTo(0.2);
    expect(usd['DynamoDB writes']).toBeCloseTo(0.625);
    expect(usd['DynamoDB reads']).toBeCloseTo(0.125);
    expect(usd.SQS).toBeCloseTo(1.2); // send + receive + delete
    expect(usd['EventBridge (custom events)']).toBeCloseTo(1.0);
    expect(usd.KMS).toBeCloseTo(0.03);
    expect(usd['CloudWatch Logs ingestion']).toBeCloseTo(((1e6 * 600) / 1024 ** 3) * 0.5);
  });

  it('spreads fixed costs over the fleet', () => {
    const fixed = fixedMonthlyUsd({ schedulerInvocations: 1e6, sqsIdleReceives: 1e6, rru: 0, wru: 0 }, PRICES);
    expect(fixed).toBeCloseTo(1.4);
    expect(fleetCost(1000, 0.001, 1.4)).toEqual({ devices: 1000, totalUsd: 2.4, perDeviceUsd: 0.0024 });
  });
});
