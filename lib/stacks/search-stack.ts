// Search (DESIGN.md §5): the OpenSearch domain whose indexes, one per generation, hold every tenant's
// conversations and comments (routing = tenant). Functions that index or search get grants from the stacks that own them.
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { HeadroomConfig } from '../config.js';
import { SearchDomain } from '../constructs/search-domain.js';
import { removalPolicyOf } from '../removal-policy.js';

export interface SearchStackProps extends StackProps {
  readonly config: HeadroomConfig;
}

export class SearchStack extends Stack {
  readonly search: SearchDomain;

  constructor(scope: Construct, id: string, props: SearchStackProps) {
    super(scope, id, props);
    const { search, logRetentionDays } = props.config;
    this.search = new SearchDomain(this, 'Search', {
      ...search,
      alarmNaming: props.config.operations.alarms,
      logRetention: logRetentionDays as RetentionDays,
      removalPolicy: removalPolicyOf(props.config),
    });
  }
}
