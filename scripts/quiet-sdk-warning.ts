// (CLI helper) import first: drop the AWS SDK's Node-version notice (as `npm start` does), so the
// command's own output stays readable on Node 20. Every other warning still prints.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  if (
    /AWS SDK for JavaScript \(v3\)/.test(text) ||
    (rest[0] as { type?: string } | string) === 'NodeVersionSupportWarning'
  ) {
    return;
  }
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
