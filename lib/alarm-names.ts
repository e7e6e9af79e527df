// Every CloudWatch alarm the app creates gets its name and description here, so each one reads the same in a page at
// 3 a.m.: `headroom-<stage>-<what>`, stable across deploys (no construct path, no CDK hash, so a runbook or a pager
// history that names it stays true), and a description that says what it means and ends with its runbook's link.
// CloudWatch takes alarm names of 1-255 characters, unique per account and Region, and descriptions of at most 1,024
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html); the stage tells two
// deployments in one account and Region apart, and `what` names the resource (function, queue) where there are several.
// Kept free of CDK imports: lib/config.ts validates the stage and the runbook base with the schemas below.
import * as z from 'zod';

const NAME_PREFIX = 'headroom';
const MAX_NAME_LENGTH = 255;
const MAX_DESCRIPTION_LENGTH = 1024;
/** Lowercase words joined by single dashes: what the console sorts and a human types into a search box. */
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Where the runbooks live in this repository; the default runbook base, relative to the repository root. */
export const REPOSITORY_RUNBOOKS = 'docs/runbooks';

/** The runbooks alarms link to, by file name in docs/runbooks (test/lib/alarm-names.test.ts checks each exists). */
export type Runbook = 'heartbeat-alarm' | 'rollback' | 'job-queues' | 'search-domain' | 'tenant-move' | 'derived-data-repair';

/** At most 32 characters, so `headroom-<stage>-` leaves over 200 for `what`. */
export const alarmStageSchema = z
  .string()
  .max(32)
  .regex(KEBAB, 'lowercase letters and digits in words joined by single dashes, such as prod or eu-trial');

export const runbookBaseUrlSchema = z
  .string()
  .refine(
    (base) => base === REPOSITORY_RUNBOOKS || /^https:\/\/[^\s]+[^\s/]$/.test(base),
    `an https:// URL where docs/runbooks is published (no trailing slash), or ${REPOSITORY_RUNBOOKS}`,
  );

/** How alarms are named and where their runbooks are: the config's `operations.alarms`. */
export interface AlarmNaming {
  /** The `<stage>` of every name, e.g. `prod`. */
  readonly stage: string;
  /** Prefixed to `<runbook>.md` in every description, e.g. `docs/runbooks` or an https URL of that folder. */
  readonly runbookBaseUrl: string;
}

/** The two properties that make an alarm readable, spread into `Alarm` props (composites take `compositeAlarmName`). */
export interface AlarmIdentity {
  readonly alarmName: string;
  readonly alarmDescription: string;
}

/** `headroom-<stage>-<what>`; throws on a stage or `what` that is not lowercase kebab case, or a name CloudWatch refuses. */
export function alarmName(stage: string, what: string): string {
  if (!KEBAB.test(stage)) throw new Error(`an alarm stage is lowercase words joined by dashes, got ${JSON.stringify(stage)}`);
  if (!KEBAB.test(what)) throw new Error(`an alarm name part is lowercase words joined by dashes, got ${JSON.stringify(what)}`);
  const name = `${NAME_PREFIX}-${stage}-${what}`;
  if (name.length > MAX_NAME_LENGTH) throw new Error(`alarm names are at most ${MAX_NAME_LENGTH} characters, got ${name.length}: ${name}`);
  return name;
}

/** The link to a runbook that ends every alarm description. */
export const runbookLink = (naming: AlarmNaming, runbook: Runbook): string => `${naming.runbookBaseUrl}/${runbook}.md`;

/**
 * The alarm's name, and its description: `meaning` (one sentence, what is wrong for whom) followed by
 * `Runbook: <link>`.
 */
export function alarmIdentity(naming: AlarmNaming, what: string, meaning: string, runbook: Runbook): AlarmIdentity {
  const alarmDescription = `${meaning} Runbook: ${runbookLink(naming, runbook)}`;
  if (alarmDescription.length > MAX_DESCRIPTION_LENGTH) {
    throw new Error(`alarm descriptions are at most ${MAX_DESCRIPTION_LENGTH} characters, got ${alarmDescription.length} for ${what}`);
  }
  return { alarmName: alarmName(naming.stage, what), alarmDescription };
}
