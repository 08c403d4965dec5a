// Test helper: CloudFormation values in CDK templates as readable text, and a construct's logical id.
import type { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A value as text: `Logical.Attr` for GetAtt, `Ref:X` for Ref, joins concatenated, strings as they are. */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::GetAtt'])) return (v['Fn::GetAtt'] as string[]).join('.');
  if (typeof v.Ref === 'string') return `Ref:${v.Ref}`;
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(renderValue).join(sep);
  }
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}

/** The logical id of a construct's CloudFormation resource in its stack. */
export function logicalIdOf(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}
