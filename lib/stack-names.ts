// Names the CLI and the CDK app must agree on. Stack names are a contract: the CLI reads outputs by stack name,
// and renaming a stack deploys a new one. Kept free of CDK imports so the CLI can load it cheaply.

export const STACK_NAMES = {
  data: 'HeadroomData',
  search: 'HeadroomSearch',
  messaging: 'HeadroomMessaging',
  api: 'HeadroomApi',
  alarms: 'HeadroomAlarms',
  operations: 'HeadroomOperations',
} as const;

/** The API stack's output holding the API's base URL; the CLI finds the endpoint with DescribeStacks. */
export const API_URL_OUTPUT = 'ApiUrl';

/**
 * The shard tables' name prefix on AWS, `headroom-<stage>-` (the stage of `operations.alarms`), so two deployments
 * in one account and Region never collide and the runtime derives every shard's table from it.
 */
export const shardTablePrefix = (stage: string): string => `headroom-${stage}-`;
