// Questions the infrastructure tests ask of synthesized templates: which resource a construct became, what a
// role may do, and what a function would see in its environment at run time.
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { expect } from 'vitest';

export type Json = Record<string, any>;

export interface Statement {
  readonly actions: readonly string[];
  readonly resources: readonly unknown[];
}

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The logical id of a construct's CloudFormation resource in its stack. */
export const idOf = (stack: Stack, construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);

/** Whether a synthesized value (a reference, an import, an ARN join) names the resource with this logical id. */
export const mentions = (value: unknown, logicalId: string): boolean => JSON.stringify(value).includes(logicalId);

export function resourceOf(stack: Stack, construct: IConstruct): Json {
  return Template.fromStack(stack).toJSON().Resources[idOf(stack, construct)];
}

/** Every statement of every policy attached to a role, one entry per statement. */
export function statementsOfRole(stack: Stack, role: IConstruct): Statement[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: idOf(stack, role) }] },
  });
  expect(Object.keys(policies).length).toBeGreaterThan(0);
  return Object.values(policies).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as Json[]).map((statement) => ({
      actions: asArray(statement.Action as string | string[]),
      resources: asArray(statement.Resource),
    })),
  );
}

/** Whether any statement allows `action` on a resource that names `logicalId`. */
export const allows = (statements: readonly Statement[], action: string, logicalId: string): boolean =>
  statements.some((s) => s.actions.includes(action) && s.resources.some((r) => mentions(r, logicalId)));

/**
 * Turns a synthesized environment into what a function would see at run time, with each unresolved
 * CloudFormation reference replaced by a placeholder (`REF0`, `REF1`…) and returned for inspection.
 */
export function runtimeView(variables: Json): { env: Record<string, string>; refs: unknown[] } {
  const refs: unknown[] = [];
  const placeholder = (ref: unknown) => `REF${refs.push(ref) - 1}`;
  const flatten = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const join = (value as Json)['Fn::Join'];
    if (join) return (join[1] as unknown[]).map(flatten).join(join[0]);
    return placeholder(value);
  };
  return { env: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, flatten(v)])), refs };
}

/** The reference a `REF<n>` placeholder of `runtimeView` stands for. */
export const refFor = (refs: readonly unknown[], placeholder: string): unknown => refs[Number(placeholder.replace('REF', ''))];
