import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ClientSecretRotation, type ClientSecretRotationOptions } from './client-secret-rotation';
import { SellerAuthorizationApi, type SellerAuthorizationApiOptions } from './seller-authorization-api';
import { TokenRefresher, type TokenRefresherOptions } from './token-refresher';
import { TokenStore, type TokenStoreProps } from './token-store';

/** Props of {@link LwaTokenService}: the union of its parts' options. */
export interface LwaTokenServiceProps
  extends TokenStoreProps,
    SellerAuthorizationApiOptions,
    TokenRefresherOptions,
    ClientSecretRotationOptions {}

/**
 * Login with Amazon token management for Selling Partner API sellers: the
 * authorization endpoints, the token store and the scheduled refresher.
 * Other Lambdas read tokens through {@link grantReadTokens}.
 */
export class LwaTokenService extends Construct {
  /** Key, tables, app secret and token-secret naming. */
  public readonly tokenStore: TokenStore;
  /** `GET /authorize`, `/login` and `/callback`. */
  public readonly authorizationApi: SellerAuthorizationApi;
  /** The scheduled refresh function and its dead-letter queue. */
  public readonly refresher: TokenRefresher;
  /** The client-secret notification queue, the rotation function and the client-secret alarms. */
  public readonly clientSecretRotation: ClientSecretRotation;
  /** Customer managed key of the token secrets and tables. */
  public readonly encryptionKey: kms.Key;
  /** The sellers table (created or existing). */
  public readonly sellerTable: dynamodb.ITable;
  /** The app credentials secret (created or imported). */
  public readonly appSecret: secretsmanager.ISecret;
  /** Prefix of the token secrets. */
  public readonly tokenSecretPrefix: string;
  /** Dead-letter queue depth of the refresher; alarm on `>= 1`. */
  public readonly refreshDeadLetterMetric: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: LwaTokenServiceProps = {}) {
    super(scope, id);

    this.tokenStore = new TokenStore(this, 'Store', props);
    this.authorizationApi = new SellerAuthorizationApi(this, 'AuthorizationApi', {
      ...props,
      tokenStore: this.tokenStore,
    });
    this.refresher = new TokenRefresher(this, 'Refresher', { ...props, tokenStore: this.tokenStore });
    this.clientSecretRotation = new ClientSecretRotation(this, 'ClientSecretRotation', {
      ...props,
      tokenStore: this.tokenStore,
      eventBus: props.reauthEventBus,
    });

    this.encryptionKey = this.tokenStore.encryptionKey;
    this.sellerTable = this.tokenStore.sellerTable;
    this.appSecret = this.tokenStore.appSecret;
    this.tokenSecretPrefix = this.tokenStore.tokenSecretPrefix;
    this.refreshDeadLetterMetric = this.refresher.refreshDeadLetterMetric;
  }

  /**
   * Lets `grantee` read seller and grantless tokens: `secretsmanager:GetSecretValue`
   * on `<prefix>/*` and `kms:Decrypt` on the key through Secrets Manager for
   * those secrets only. Nothing on the app credentials secret, so token readers
   * never see the client secret. A `lambda.Function` also gets
   * `TOKEN_SECRET_PREFIX` in its environment for the token client.
   */
  public grantReadTokens(grantee: iam.IGrantable): iam.Grant {
    if (grantee instanceof lambda.Function) {
      grantee.addEnvironment('TOKEN_SECRET_PREFIX', this.tokenSecretPrefix);
    }
    return this.tokenStore.grantReadTokens(grantee);
  }
}
