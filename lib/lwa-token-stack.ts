import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LwaTokenService, type LwaTokenServiceProps } from './lwa-token-service';

/** Props of {@link LwaTokenStack}. */
export interface LwaTokenStackProps extends StackProps {
  /**
   * Configuration of the service.
   * @default - all defaults
   */
  readonly service?: LwaTokenServiceProps;
}

/** Deploys one {@link LwaTokenService} and outputs what operators need to register the app. */
export class LwaTokenStack extends Stack {
  /** The service. */
  public readonly service: LwaTokenService;

  constructor(scope: Construct, id: string, props: LwaTokenStackProps = {}) {
    super(scope, id, {
      description: 'Login with Amazon token service for Amazon Selling Partner API sellers',
      ...props,
    });

    this.service = new LwaTokenService(this, 'LwaTokenService', props.service);
    const api = this.service.authorizationApi;

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the authorization API stage',
      value: api.api.url,
    });
    new CfnOutput(this, 'AuthorizeUrl', {
      description:
        'Starts a seller authorization; append ?region=NA, EU or FE, or ?marketplace=<id or country code> (&account=vendor for Vendor Central)',
      value: api.authorizeUrl,
    });
    new CfnOutput(this, 'LoginUrl', {
      description: 'OAuth Login URI to register in the Seller Central developer console',
      value: api.loginUrl,
    });
    new CfnOutput(this, 'CallbackUrl', {
      description: 'OAuth Redirect URI to register in the Seller Central developer console',
      value: api.callbackUrl,
    });
    new CfnOutput(this, 'AppSecretArn', {
      description: this.service.clientSecretRotation
        ? 'App credentials secret: put clientId, clientSecret, applicationId and draft here'
        : "App credentials secret this deployment only reads (a replica, with per-region stacks): put the values into the primary stack's AppSecretArn",
      value: this.service.appSecret.secretArn,
    });
    new CfnOutput(this, 'TokenKmsKeyArn', {
      description: 'Key that encrypts token secrets (TOKEN_KMS_KEY_ID for the lwa-tokens CLI)',
      value: this.service.encryptionKey.keyArn,
    });
    if (api.deviceAuthorizationsUrl) {
      new CfnOutput(this, 'DeviceAuthorizationsUrl', {
        description: 'POST {"region","scope"} here to start a device authorization',
        value: api.deviceAuthorizationsUrl,
      });
    }
    if (this.service.clientSecretRotation) {
      new CfnOutput(this, 'NotificationQueueArn', {
        description:
          'Register in the Developer Console (Notification preferences) for Application client secret expiry and Application client new secret',
        value: this.service.clientSecretRotation.notificationQueue.queueArn,
      });
    }
    new CfnOutput(this, 'SellerTableName', {
      description: 'DynamoDB table indexing authorized sellers',
      value: this.service.sellerTable.tableName,
    });
    new CfnOutput(this, 'StateTableName', {
      description:
        'DynamoDB table of OAuth states and the client-secret rotation record (STATE_TABLE_NAME for the lwa-tokens CLI)',
      value: this.service.tokenStore.stateTable.tableName,
    });
    new CfnOutput(this, 'TokenSecretPrefix', {
      description: 'Prefix of the per-seller token secrets (TOKEN_SECRET_PREFIX)',
      value: this.service.tokenSecretPrefix,
    });
  }
}
