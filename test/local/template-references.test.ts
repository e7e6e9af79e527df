import { describe, expect, it } from 'vitest';
import type { CfnTemplate } from '../../local/cloud-assembly.js';
import { resolveValue, type ResourceResolver } from '../../local/template-references.js';

const templates: Record<string, CfnTemplate> = {
  Data: {
    Resources: { Control42: { Type: 'AWS::DynamoDB::Table', Metadata: { 'aws:cdk:path': 'Data/Control/Resource' } } },
    Outputs: { ExportControl: { Value: { Ref: 'Control42' } }, ExportArn: { Value: { 'Fn::GetAtt': ['Control42', 'Arn'] } } },
  },
  Api: { Resources: { Secret1: { Type: 'AWS::SecretsManager::Secret' } } },
};
const tables: ResourceResolver = ({ resource, path, attribute }) =>
  resource.Type === 'AWS::DynamoDB::Table' && path === 'Data/Control/Resource'
    ? attribute === 'Arn'
      ? 'arn:local:control'
      : 'control'
    : undefined;
const options = { templates, resolveResource: tables, region: 'us-east-1', accountId: '000000000000' };

describe('resolving a template reference to a local resource', () => {
  it('follows CDK cross-stack references through the producing stack’s outputs', () => {
    expect(resolveValue({ 'Fn::GetStackOutput': { StackName: 'Data', OutputName: 'ExportControl' } }, 'Api', options)).toBe('control');
    expect(resolveValue({ 'Fn::GetStackOutput': { StackName: 'Data', OutputName: 'ExportArn' } }, 'Api', options)).toBe(
      'arn:local:control',
    );
  });

  it('joins, selects and fills in the pseudo parameters', () => {
    const value = {
      'Fn::Join': ['', ['https://x.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', { 'Fn::Select': [1, ['a', 'b']] }]],
    };
    expect(resolveValue(value, 'Api', options)).toBe('https://x.us-east-1.amazonaws.com/b');
  });

  it('names the variable and the resource it has no local stand-in for, rather than guessing', () => {
    expect(() => resolveValue({ Ref: 'Secret1' }, 'Api', options, 'HEADROOM_CURSOR_SECRET_ARN')).toThrow(
      'HEADROOM_CURSOR_SECRET_ARN: no local stand-in for AWS::SecretsManager::Secret Api/Secret1',
    );
    expect(() => resolveValue({ 'Fn::ImportValue': 'x' }, 'Api', options, 'V')).toThrow(
      'V: Fn::ImportValue is not resolved by the rehearsal',
    );
  });
});
