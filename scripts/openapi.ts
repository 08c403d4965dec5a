// (CLI) write the API's OpenAPI document, generated from shared/api/contract.ts, to docs/api/openapi.json.
//   npm run openapi            write it
//   npm run openapi -- --check exit 1 when the committed file differs (what the unit test checks too)
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { openApiDocument } from '../shared/api/openapi';

/** Where the document lives in the repository. */
export const OPENAPI_PATH = join(__dirname, '..', 'docs', 'api', 'openapi.json');

/** The document's text exactly as committed: 2-space JSON and a final newline. */
export async function openApiText(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(__dirname, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return `${JSON.stringify(openApiDocument(pkg.version), null, 2)}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const text = await openApiText();
  if (values.check) {
    const committed = await readFile(OPENAPI_PATH, 'utf8').catch(() => '');
    if (committed !== text) {
      console.error(`${OPENAPI_PATH} is stale: run npm run openapi`);
      process.exit(1);
    }
    console.log('openapi.json is up to date');
    return;
  }
  await mkdir(dirname(OPENAPI_PATH), { recursive: true });
  await writeFile(OPENAPI_PATH, text);
  console.log(`wrote ${OPENAPI_PATH}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
