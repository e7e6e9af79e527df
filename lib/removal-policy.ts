// The config's `removalPolicy` as CDK's: one mapping, so every stack retains (production) or destroys (trial) alike.
import { RemovalPolicy } from 'aws-cdk-lib';
import type { HeadroomConfig } from './config.js';

export function removalPolicyOf(config: Pick<HeadroomConfig, 'removalPolicy'>): RemovalPolicy {
  return config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}
