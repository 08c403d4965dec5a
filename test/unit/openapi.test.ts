// The OpenAPI document (docs/api/openapi.json) is generated from the route contract: the committed file
// must be exactly what `npm run openapi` writes, and it documents every route, the bounded bodies and
// the errors (issue 16, item 7).
import { readFile } from 'node:fs/promises';
import { OPENAPI_PATH, openApiText } from '../../scripts/openapi';
import { API_ROUTES, MAX_BODY_BYTES, WINDOW_TAGS } from '../../shared/api/contract';

// biome-ignore lint/suspicious/noExplicitAny: a JSON document walked by path in assertions
type Doc = { paths: Record<string, Record<string, Record<string, any>>> };

describe('OpenAPI document', () => {
  it('the committed docs/api/openapi.json equals what the generator produces (run npm run openapi)', async () => {
    expect(await readFile(OPENAPI_PATH, 'utf8')).toBe(await openApiText());
  });

  it('has every route of the contract, with its summary and success status', async () => {
    const doc = JSON.parse(await openApiText()) as Doc;
    for (const [name, spec] of Object.entries(API_ROUTES)) {
      const op = doc.paths[spec.path]?.[spec.method.toLowerCase()];
      expect({ name, summary: op?.summary }).toEqual({ name, summary: spec.summary });
      expect(op?.responses[String(spec.success.status)]).toBeDefined();
    }
  });

  it('documents the maintenance-window and threshold bodies with their bounds, and 413 above the size limit', async () => {
    const doc = JSON.parse(await openApiText()) as Doc;
    const window = doc.paths['/api/maintenance-windows']!.post!;
    const schema = window.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['id', 'schedule']);
    expect(schema.properties.tags.additionalProperties.maxLength).toBe(WINDOW_TAGS.maxValue);
    expect(schema.properties.schedule.oneOf).toHaveLength(2);
    expect(window.responses['413'].description).toContain(String(MAX_BODY_BYTES));
    const threshold = doc.paths['/api/thresholds/{metric}']!.put!;
    const body = threshold.requestBody.content['application/json'].schema;
    expect(body.properties.adjustment).toMatchObject({ type: 'number' });
    expect(body.properties.reason.maxLength).toBe(500);
    expect(threshold.parameters).toEqual([
      expect.objectContaining({ name: 'metric', in: 'path', required: true }),
    ]);
  });
});
