// (contract) the OpenAPI 3.1 document of the HTTP API, generated from the route contract
// (shared/api/contract.ts): paths, parameters and request bodies from the zod schemas as clients send
// them (zod's JSON Schema in input mode), the error answers every route shares, and each success body
// named by its type in shared/api/types.ts. `npm run openapi` writes it to docs/api/openapi.json; a unit
// test fails when the committed file differs from what this produces.
import { z } from 'zod';
import { API_ROUTES, MAX_BODY_BYTES, type RouteSpec } from './contract';

type Json = Record<string, unknown>;

const ERROR_SCHEMA: Json = {
  type: 'object',
  description: 'What went wrong and the field at fault (null when none).',
  properties: {
    error: { type: 'string' },
    field: { type: ['string', 'null'] },
    issues: { type: 'array', items: { type: 'string' } },
  },
  required: ['error', 'field'],
};

function schemaOf(schema: z.ZodType): Json {
  const out = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Json;
  delete out.$schema;
  return out;
}

/** One parameter per property of a params/query object schema. */
function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const json = schemaOf(schema);
  const props = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: s,
  }));
}

const errorResponse = (description: string): Json => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

function operationOf(name: string, spec: RouteSpec): Json {
  const responses: Json = {
    [String(spec.success.status)]:
      spec.success.status === 204
        ? { description: 'Done; no body' }
        : {
            description: `${spec.success.type} (shared/api/types.ts)`,
            content: {
              'application/json': {
                schema: { type: 'object', description: `See ${spec.success.type} in shared/api/types.ts` },
              },
            },
          },
    '400': errorResponse('Invalid input; `field` names the first bad field'),
    '401': errorResponse('No valid ID token (field `authorization`)'),
    '403': errorResponse('Not in the staff group'),
    '404': errorResponse('No such route, series, metric or entry'),
    '503': errorResponse('A backing service failed; try again'),
  };
  if (spec.body) {
    responses['413'] = errorResponse(`Body larger than ${MAX_BODY_BYTES} bytes (field \`body\`)`);
    responses['415'] = errorResponse('Content-Type is not application/json');
  }
  return {
    operationId: name,
    summary: spec.summary,
    ...(spec.mutates ? { description: 'Changes state; the caller is recorded as the actor.' } : {}),
    security: [{ cognitoIdToken: [] }],
    parameters: [...parametersOf(spec.params, 'path'), ...parametersOf(spec.query, 'query')],
    ...(spec.body
      ? { requestBody: { required: false, content: { 'application/json': { schema: schemaOf(spec.body) } } } }
      : {}),
    responses,
  };
}

/** The API's OpenAPI 3.1 document, deterministic (routes in contract order). */
export function openApiDocument(version: string): Json {
  const paths: Record<string, Json> = {};
  for (const [name, spec] of Object.entries(API_ROUTES) as [string, RouteSpec][]) {
    paths[spec.path] ??= {};
    paths[spec.path]![spec.method.toLowerCase()] = operationOf(name, spec);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Drift Sentinel API',
      version,
      description: [
        "The staff dashboard's API. Every route needs a Cognito ID token of the `staff` group",
        '(`Authorization: Bearer <token>`). Times are epoch milliseconds unless a field says ISO-8601.',
        `Request bodies are JSON, at most ${MAX_BODY_BYTES} bytes. Errors are { error, field, issues? }.`,
        'Generated from shared/api/contract.ts by `npm run openapi`; do not edit by hand.',
      ].join(' '),
      license: { name: 'MIT' },
    },
    servers: [{ url: '/', description: 'The local stack (npm start) or the deployed stage URL' }],
    components: {
      securitySchemes: {
        cognitoIdToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (Cognito ID token)' },
      },
      schemas: { Error: ERROR_SCHEMA },
    },
    paths,
  };
}
