import { ArnFormat, Aws, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { APP_SECRET_PLACEHOLDER, DEFAULTS, SELLER_TABLE_REGION_INDEX_NAME } from './defaults';
import { acknowledge, acknowledgeWildcardResource } from './nag';
import {
  LwaTokenServicePropsError,
  validateAppSecretSource,
  validateCompleteSecretArn,
  validateKmsKeyArn,
  validateTokenSecretPrefix,
} from './validation';

/**
 * Overrides for the sellers table the store creates: the `dynamodb.TableProps`
 * that do not touch the contract. Keys, the `byRegion` index and the name are
 * fixed by the public contract and cannot be changed.
 */
export interface SellerTableOverrides {
  /**
   * Billing mode of the table.
   * @default dynamodb.BillingMode.PAY_PER_REQUEST
   */
  readonly billingMode?: dynamodb.BillingMode;
  /**
   * Read capacity units (provisioned billing only).
   * @default - the CDK default for the billing mode
   */
  readonly readCapacity?: number;
  /**
   * Write capacity units (provisioned billing only).
   * @default - the CDK default for the billing mode
   */
  readonly writeCapacity?: number;
  /**
   * Maximum read request units (on-demand billing only).
   * @default - no maximum
   */
  readonly maxReadRequestUnits?: number;
  /**
   * Maximum write request units (on-demand billing only).
   * @default - no maximum
   */
  readonly maxWriteRequestUnits?: number;
  /**
   * Encryption type of the table.
   * @default dynamodb.TableEncryption.CUSTOMER_MANAGED with the store's key
   */
  readonly encryption?: dynamodb.TableEncryption;
  /**
   * Customer managed key (only with `TableEncryption.CUSTOMER_MANAGED`).
   * @default - the store's key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Point-in-time recovery.
   * @default - enabled
   */
  readonly pointInTimeRecoverySpecification?: dynamodb.PointInTimeRecoverySpecification;
  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Deletion protection.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * CloudWatch Contributor Insights.
   * @default - disabled
   */
  readonly contributorInsightsSpecification?: dynamodb.ContributorInsightsSpecification;
  /**
   * Table class.
   * @default dynamodb.TableClass.STANDARD
   */
  readonly tableClass?: dynamodb.TableClass;
  /**
   * DynamoDB stream of the table.
   * @default - no stream
   */
  readonly stream?: dynamodb.StreamViewType;
}

/** Props of {@link TokenStore}. */
export interface TokenStoreProps {
  /**
   * Prefix of the per-seller token secrets (`<prefix>/sellers/<REGION>/<sellerId>`).
   * Secret-name characters only, no leading or trailing slash.
   * @default 'lwa-tokens'
   */
  readonly tokenSecretPrefix?: string;
  /**
   * An existing sellers table. It must have the contract's keys and the
   * `byRegion` GSI. If it is encrypted with a customer managed key, import it
   * with `Table.fromTableAttributes({ encryptionKey })` so the handlers get
   * access to that key. Mutually exclusive with `sellerTableProps`.
   * @default - a table is created
   */
  readonly existingSellerTable?: dynamodb.ITable;
  /**
   * Overrides for the created sellers table. Mutually exclusive with
   * `existingSellerTable`.
   * @default - on-demand, PITR, encrypted with the store's key, retained, deletion protection on
   */
  readonly sellerTableProps?: SellerTableOverrides;
  /**
   * Complete ARN (with the 6-character suffix) of an existing app credentials
   * secret. When set, no secret is created.
   * @default - a secret with placeholder values is created
   */
  readonly appSecretArn?: string;
  /**
   * ARN of the customer managed KMS key that encrypts the imported app secret,
   * if it is not the store's key or `aws/secretsmanager`. Handlers get
   * `kms:Decrypt` on it through Secrets Manager only. Requires `appSecretArn`.
   * @default - no extra key grant
   */
  readonly appSecretKeyArn?: string;
  /**
   * Name of the app credentials secret the store creates, so that deployments in other AWS regions
   * can find its replicas by name. Not with `appSecretArn` or `existingAppSecretName`.
   * @default - a name CloudFormation generates
   */
  readonly appSecretName?: string;
  /**
   * AWS regions to replicate the created app credentials secret to (Secrets Manager replication):
   * the regions of the other per-region deployments, which read the replica in their own region.
   * A client-secret rotation here writes the primary, and Secrets Manager updates every replica.
   * Each replica is encrypted with its region's `aws/secretsmanager` key. Requires `appSecretName`.
   * @default - no replicas
   */
  readonly appSecretReplicaRegions?: string[];
  /**
   * Name of an existing app credentials secret in this stack's AWS region, typically the replica
   * of another deployment's secret. It is only read (its replica cannot be written), and it must be
   * encrypted with the region's `aws/secretsmanager` key. Not with `appSecretArn` or `appSecretName`.
   * @default - the secret is created, or imported by `appSecretArn`
   */
  readonly existingAppSecretName?: string;
}

/**
 * Where the service keeps its state: the customer managed key, the sellers
 * table, the short-lived OAuth state table, the app credentials secret and
 * the naming of the per-seller token secrets (which the handlers create, so
 * they are not CloudFormation resources).
 */
export class TokenStore extends Construct {
  /** Customer managed key for token secrets, tables and the created app secret. */
  public readonly encryptionKey: kms.Key;
  /** The sellers table (created or existing). */
  public readonly sellerTable: dynamodb.ITable;
  /** The table created for the sellers, if one was created. */
  public readonly createdSellerTable?: dynamodb.Table;
  /** Single-use OAuth `state` values, expired by TTL. */
  public readonly stateTable: dynamodb.Table;
  /** The app credentials secret (created or imported). */
  public readonly appSecret: secretsmanager.ISecret;
  /** How the functions name the app secret (`APP_SECRET_ID`): its ARN, or its name when imported by name. */
  public readonly appSecretId: string;
  /** Prefix of the token secrets. */
  public readonly tokenSecretPrefix: string;
  /** IAM resource pattern that matches every token secret and nothing else. */
  public readonly tokenSecretArnPattern: string;
  /** ARN of the sellers table's `byRegion` index. */
  public readonly sellerTableRegionIndexArn: string;

  private readonly appSecretKeyArn?: string;
  private readonly appSecretUsesStoreKey: boolean;
  /** The app secret's ARN in IAM statements: `-??????` stands for the suffix of a secret imported by name. */
  private readonly appSecretPolicyArn: string;

  constructor(scope: Construct, id: string, props: TokenStoreProps = {}) {
    super(scope, id);

    this.tokenSecretPrefix = validateTokenSecretPrefix(
      this,
      props.tokenSecretPrefix ?? DEFAULTS.tokenSecretPrefix,
    );
    if (props.existingSellerTable && props.sellerTableProps) {
      throw new LwaTokenServicePropsError(
        this,
        'Pass either existingSellerTable or sellerTableProps, not both: sellerTableProps only configures a table this construct creates.',
      );
    }
    if (props.appSecretKeyArn !== undefined && props.appSecretArn === undefined) {
      throw new LwaTokenServicePropsError(
        this,
        'appSecretKeyArn only applies to an imported app secret; pass appSecretArn as well, or drop appSecretKeyArn (a created secret uses the store key).',
      );
    }

    this.encryptionKey = new kms.Key(this, 'Key', {
      description: 'LWA token service: token secrets, sellers and state tables, app credentials',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    if (props.existingSellerTable) {
      this.sellerTable = props.existingSellerTable;
    } else {
      const overrides = props.sellerTableProps ?? {};
      const encryption = overrides.encryption ?? dynamodb.TableEncryption.CUSTOMER_MANAGED;
      this.createdSellerTable = new dynamodb.Table(this, 'SellerTable', {
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
        ...overrides,
        encryption,
        // The store key is only a default for a customer managed table; any
        // other encryption type must not be given a key.
        encryptionKey:
          encryption === dynamodb.TableEncryption.CUSTOMER_MANAGED
            ? (overrides.encryptionKey ?? this.encryptionKey)
            : overrides.encryptionKey,
        partitionKey: { name: 'sellerId', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'region', type: dynamodb.AttributeType.STRING },
      });
      this.createdSellerTable.addGlobalSecondaryIndex({
        indexName: SELLER_TABLE_REGION_INDEX_NAME,
        partitionKey: { name: 'region', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'nextRefreshAt', type: dynamodb.AttributeType.NUMBER },
        projectionType: dynamodb.ProjectionType.ALL,
      });
      this.sellerTable = this.createdSellerTable;
    }
    // The index is named by contract, so grants can name it instead of `index/*`.
    this.sellerTableRegionIndexArn = `${this.sellerTable.tableArn}/index/${SELLER_TABLE_REGION_INDEX_NAME}`;

    // States live 10 minutes and are useless after that, so the table is not retained.
    this.stateTable = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    validateAppSecretSource(this, props);
    if (props.existingAppSecretName !== undefined) {
      // A replica keeps the primary's name; its ARN suffix is not known here, hence the wildcard.
      const name = props.existingAppSecretName;
      this.appSecret = secretsmanager.Secret.fromSecretNameV2(this, 'AppSecret', name);
      this.appSecretId = name;
      this.appSecretPolicyArn = `${Stack.of(this).formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })}-??????`;
      this.appSecretUsesStoreKey = false;
    } else if (props.appSecretArn !== undefined) {
      const arn = validateCompleteSecretArn(this, 'appSecretArn', props.appSecretArn);
      this.appSecret = secretsmanager.Secret.fromSecretCompleteArn(this, 'AppSecret', arn);
      this.appSecretId = this.appSecret.secretArn;
      this.appSecretPolicyArn = this.appSecret.secretArn;
      this.appSecretKeyArn =
        props.appSecretKeyArn === undefined
          ? undefined
          : validateKmsKeyArn(this, 'appSecretKeyArn', props.appSecretKeyArn);
      this.appSecretUsesStoreKey = false;
    } else {
      const secret = new secretsmanager.Secret(this, 'AppSecret', {
        description:
          'LWA app credentials (clientId, clientSecret, applicationId, draft). Created with placeholders: set the real values with put-secret-value.',
        encryptionKey: this.encryptionKey,
        // Placeholders only, and public in this repo. The real credentials are
        // put out of band so they never enter a template; keep this value
        // constant, because changing it would make CloudFormation overwrite them.
        secretStringValue: SecretValue.unsafePlainText(JSON.stringify(APP_SECRET_PLACEHOLDER)),
        removalPolicy: RemovalPolicy.RETAIN,
        secretName: props.appSecretName,
        // The replica's key stays the default: the region's aws/secretsmanager key.
        replicaRegions: props.appSecretReplicaRegions?.map((region) => ({ region })),
      });
      acknowledge(
        secret,
        'AwsSolutions-SMG4',
        "LWA client secrets expire on Amazon's schedule and are rotated by the client-secret rotation function when SP-API notifies it (keeping previousClientSecret for the overlap), not on a Secrets Manager rotation schedule.",
      );
      this.appSecret = secret;
      this.appSecretId = secret.secretArn;
      this.appSecretPolicyArn = secret.secretArn;
      this.appSecretUsesStoreKey = true;
    }

    this.tokenSecretArnPattern = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${this.tokenSecretPrefix}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * Read access to every token secret: `secretsmanager:GetSecretValue` on the
   * prefix and `kms:Decrypt` through Secrets Manager for those secrets only.
   * Nothing on the app credentials secret.
   */
  public grantReadTokens(grantee: iam.IGrantable): iam.Grant {
    this.acknowledgeTokenSecretWildcard(grantee);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.tokenSecretArnPattern],
    }).combine(this.grantTokenKey(grantee, ['kms:Decrypt']));
  }

  /**
   * {@link grantReadTokens} for a grantee in another AWS region's stack, which CloudFormation
   * cannot hand this stack's key ARN: the same two statements with this store's region named
   * literally and the account as the grantee stack's own, the key matched as any key of that
   * region but usable only through that region's Secrets Manager and only for token secrets.
   * `region` must be this store's concrete AWS region.
   */
  public grantReadTokensAcrossRegions(grantee: iam.IGrantable, region: string): iam.Grant {
    const tokenSecrets = `arn:${Aws.PARTITION}:secretsmanager:${region}:${Aws.ACCOUNT_ID}:secret:${this.tokenSecretPrefix}/*`;
    const regionKeys = `arn:${Aws.PARTITION}:kms:${region}:${Aws.ACCOUNT_ID}:key/*`;
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      acknowledgeWildcardResource(
        principal,
        tokenSecrets,
        `One secret per seller and region is created at run time in ${region}, so access is scoped to the token-secret name prefix there.`,
      );
      acknowledgeWildcardResource(
        principal,
        regionKeys,
        `The token key lives in the ${region} stack, which another region's stack cannot reference; kms:ViaService and the SecretARN encryption context limit it to token secrets read through Secrets Manager in ${region}.`,
      );
    }
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [tokenSecrets],
    }).combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:Decrypt'],
        resourceArns: [regionKeys],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:SecretARN': tokenSecrets },
        },
      }),
    );
  }

  /**
   * Write-only access to token secrets, for the functions that store fresh authorizations (the
   * callback, the device API): `CreateSecret` only with the store's key and only the given tag
   * keys, `PutSecretValue`, `TagResource` with those tag keys, and the key through Secrets Manager
   * for those secrets. No `GetSecretValue` or `DescribeSecret`: a function that handles untrusted
   * input cannot read any seller's tokens.
   */
  public grantWriteTokens(grantee: iam.IGrantable, tagKeys: string[]): iam.Grant {
    this.acknowledgeTokenSecretWildcard(grantee);
    const onlyTheseTagKeys = { 'ForAllValues:StringEquals': { 'aws:TagKeys': tagKeys } };
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:CreateSecret'],
      resourceArns: [this.tokenSecretArnPattern],
      conditions: {
        StringEquals: { 'secretsmanager:KmsKeyArn': this.encryptionKey.keyArn },
        ...onlyTheseTagKeys,
      },
    })
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['secretsmanager:PutSecretValue'],
          resourceArns: [this.tokenSecretArnPattern],
        }),
      )
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['secretsmanager:TagResource'],
          resourceArns: [this.tokenSecretArnPattern],
          conditions: onlyTheseTagKeys,
        }),
      )
      .combine(this.grantTokenKey(grantee, ['kms:GenerateDataKey', 'kms:Decrypt']));
  }

  /**
   * {@link grantWriteTokens} plus `GetSecretValue` and `DescribeSecret`: what the refresher needs
   * to read the refresh token it presents, and to put a re-authorization's version back on top.
   */
  public grantReadWriteTokens(grantee: iam.IGrantable, tagKeys: string[]): iam.Grant {
    return this.grantWriteTokens(grantee, tagKeys).combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resourceArns: [this.tokenSecretArnPattern],
      }),
    );
  }

  /** `secretsmanager:GetSecretValue` on the app credentials secret, and its key through Secrets Manager. */
  public grantReadAppSecret(grantee: iam.IGrantable): iam.Grant {
    return this.grantAppSecret(grantee, ['secretsmanager:GetSecretValue'], ['kms:Decrypt']);
  }

  /**
   * Read and write the app credentials secret, and its key through Secrets
   * Manager: what the client-secret rotation needs to store a new secret next
   * to the previous one.
   */
  public grantReadWriteAppSecret(grantee: iam.IGrantable): iam.Grant {
    return this.grantAppSecret(
      grantee,
      ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
      ['kms:Decrypt', 'kms:GenerateDataKey'],
    );
  }

  private grantAppSecret(grantee: iam.IGrantable, secretActions: string[], keyActions: string[]): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: secretActions,
      resourceArns: [this.appSecretPolicyArn],
    });
    const keyArn = this.appSecretUsesStoreKey ? this.encryptionKey.keyArn : this.appSecretKeyArn;
    if (keyArn === undefined) return grant;
    return grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: keyActions,
        resourceArns: [keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': this.secretsManagerEndpoint(),
            'kms:EncryptionContext:SecretARN': this.appSecret.secretArn,
          },
        },
      }),
    );
  }

  /**
   * `tableActions` on the sellers table and `indexActions` on its `byRegion`
   * index (named, not `index/*`), plus the table's key through DynamoDB.
   */
  public grantSellerTable(
    grantee: iam.IGrantable,
    tableActions: string[],
    indexActions: string[] = [],
  ): iam.Grant {
    let grant = iam.Grant.addToPrincipal({
      grantee,
      actions: tableActions,
      resourceArns: [this.sellerTable.tableArn],
    });
    if (indexActions.length > 0) {
      grant = grant.combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: indexActions,
          resourceArns: [this.sellerTableRegionIndexArn],
        }),
      );
    }
    return this.grantTableKey(
      grantee,
      this.sellerTable.encryptionKey,
      [...tableActions, ...indexActions],
      grant,
    );
  }

  /**
   * DynamoDB item actions on the state table, plus the table key through
   * DynamoDB. With `partitionKeyPrefix`, only on items whose `pk` starts with
   * it (`dynamodb:LeadingKeys`), so the grantee cannot touch other flows' items.
   */
  public grantStateTable(grantee: iam.IGrantable, actions: string[], partitionKeyPrefix?: string): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.stateTable.tableArn],
      conditions:
        partitionKeyPrefix === undefined
          ? undefined
          : { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${partitionKeyPrefix}*`] } },
    });
    return this.grantTableKey(grantee, this.stateTable.encryptionKey, actions, grant);
  }

  /**
   * Token secrets are created at run time, one per seller and region, so their
   * ARNs can only be matched by `<prefix>/*`. The acknowledgement names that
   * exact pattern, so any other wildcard on the grantee is still reported.
   */
  private acknowledgeTokenSecretWildcard(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    if (!Construct.isConstruct(principal)) return;
    acknowledgeWildcardResource(
      principal,
      this.tokenSecretArnPattern,
      'One secret per seller and region is created at run time, so access is scoped to the token-secret name prefix.',
    );
  }

  private grantTokenKey(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.encryptionKey.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': this.secretsManagerEndpoint() },
        // Secrets Manager passes the secret ARN as encryption context, which
        // limits the key to token secrets even though other secrets share it.
        StringLike: { 'kms:EncryptionContext:SecretARN': this.tokenSecretArnPattern },
      },
    });
  }

  private grantTableKey(
    grantee: iam.IGrantable,
    key: kms.IKey | undefined,
    tableActions: string[],
    grant: iam.Grant,
  ): iam.Grant {
    if (!key) return grant;
    const writes = tableActions.some((action) => /:(Put|Update|Delete|BatchWrite)/.test(action));
    const keyActions = writes
      ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']
      : ['kms:Decrypt', 'kms:DescribeKey'];
    return grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: keyActions,
        resourceArns: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.amazonaws.com` } },
      }),
    );
  }

  private secretsManagerEndpoint(): string {
    return `secretsmanager.${Aws.REGION}.amazonaws.com`;
  }
}
