#!/usr/bin/env node
// The CDK app: one environment-agnostic stack, PikaStack. Settings come
// from context values (see infra/README.md) and PIKA_LAMBDA_ASSETS.

import { App } from 'aws-cdk-lib';
import { readConfig } from '../lib/config';
import { PikaStack } from '../lib/pika-stack';

const app = new App();
const config = readConfig(app.node);
new PikaStack(app, 'PikaStack', {
  description: `Pika: AI agent chat apps (table prefix ${config.prefix})`,
  config,
});
app.synth();
