// One Lambda entry per surface: API Gateway event → the shared pipeline → API Gateway result.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ROUTE_TABLE } from '../api/routes';
import { fromApiGateway, toApiGateway } from '../http/apigw';
import { createPipeline, type Operations } from '../http/pipeline';
import type { Surface } from '../http/types';
import { awsApp } from '../wiring/aws';

export function surfaceHandler(surface: Surface, operations: Operations) {
  let pipeline: ReturnType<typeof createPipeline> | undefined;
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    pipeline ??= createPipeline(await awsApp(), ROUTE_TABLE, operations, [surface]);
    return toApiGateway(await pipeline(fromApiGateway(event)));
  };
}
