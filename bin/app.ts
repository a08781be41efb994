import { App } from 'aws-cdk-lib';
import { buildLwaTokenApp } from '../lib/lwa-token-app';

buildLwaTokenApp(new App());
