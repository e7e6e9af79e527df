// What a function that calls models may do: bedrock:InvokeModel on exactly the Bedrock models its lanes route to
// (Converse needs no more), and read access to the API key secrets of its OpenAI-compatible routes. Used by every
// stack that hosts a model caller (the suggest-reply function, the job worker that writes summaries).
import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { bedrockModel, LANES, type LlmSettings } from '../lambdas/core/llm/llm-settings.js';

/** The routes some lane uses; a route only defined in config gets no access. */
const routesInUse = (settings: LlmSettings) =>
  [...new Set(LANES.flatMap((lane) => settings.lanes[lane].routes.map((entry) => entry.route)))].map((id) => ({
    id,
    route: settings.routes[id] as LlmSettings['routes'][string],
  }));

/** The ARNs a Bedrock route invokes: the foundation model in its region, or an inference profile and its models. */
export function bedrockModelArns(scope: Construct, settings: LlmSettings): string[] {
  const stack = Stack.of(scope);
  const arns = routesInUse(settings)
    .filter(({ route }) => route.provider === 'bedrock' && route.baseUrl === undefined)
    .flatMap(({ route }) => {
      const { foundationModel, inferenceProfile } = bedrockModel(route.model);
      const model = (region: string) =>
        stack.formatArn({
          service: 'bedrock',
          region,
          account: '',
          resource: 'foundation-model',
          resourceName: foundationModel,
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        });
      if (!inferenceProfile) return [model(route.region as string)];
      // A cross-region profile sends each call to one of its geography's regions, chosen by Bedrock.
      return [
        stack.formatArn({
          service: 'bedrock',
          region: route.region,
          resource: 'inference-profile',
          resourceName: route.model,
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        }),
        model('*'),
      ];
    });
  return [...new Set(arns)];
}

export function grantModelAccess(scope: Construct, grantee: IGrantable & Construct, settings: LlmSettings): void {
  const modelArns = bedrockModelArns(scope, settings);
  if (modelArns.length > 0) Grant.addToPrincipal({ grantee, actions: ['bedrock:InvokeModel'], resourceArns: modelArns });
  for (const arn of modelArns.filter((candidate) => candidate.includes(':bedrock:*::'))) {
    Validations.of(grantee).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${arn.replace(/\$\{Token\[AWS\.Partition\.\d+\]\}/, '<AWS::Partition>')}]`,
      reason:
        'A Bedrock cross-region inference profile routes each call to a region of its geography that Bedrock picks, so ' +
        'its foundation model must be invocable in any region; the model id itself is fixed by config.',
    });
  }
  const secrets = [...new Set(routesInUse(settings).flatMap(({ route }) => (route.apiKeySecret ? [route.apiKeySecret] : [])))];
  for (const name of secrets) {
    Secret.fromSecretNameV2(scope, `LlmApiKey-${name.replace(/[^A-Za-z0-9]/g, '')}`, name).grantRead(grantee);
  }
}
