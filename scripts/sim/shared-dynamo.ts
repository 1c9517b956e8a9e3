// The simulator's threads share one database: dynalite in a worker thread of its own, off the
// main thread's event loop (the busiest: the simulated devices live there). Each server started
// with startLocal is pointed at it by a build-step middleware on its DynamoDB client, since
// startLocal has no option for an external database (its own embedded one then stays idle).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The table names startLocal uses (lambdas/wiring/local.ts). */
export const TABLES = { main: 'Main', logs: 'Logs' };

export function useSharedDynamo(client: DynamoDBClient, endpoint: string): void {
  const target = new URL(endpoint);
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { hostname: string; port?: number; headers: Record<string, string> };
      request.hostname = target.hostname;
      request.port = Number(target.port);
      request.headers.host = target.host;
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'simulateSharedDynamo' },
  );
}
