export interface Prices {
  readonly source: string;
  readonly secretsManager: { readonly perSecretMonth: number; readonly perTenThousandCalls: number };
  readonly dynamoDbOnDemand: { readonly perMillionWriteUnits: number; readonly perMillionReadUnits: number };
  readonly lambdaArm64: { readonly perMillionRequests: number; readonly perGbSecond: number };
  readonly kms: { readonly perKeyMonth: number; readonly perTenThousandRequests: number };
  readonly hoursPerMonth: number;
}

/**
 * AWS list prices the cost estimate uses: us-east-1, on-demand, free tiers ignored. Secrets
 * Manager, DynamoDB on-demand (the rates since the November 2024 price cut) and Lambda arm64 are
 * the figures issue 7 quotes from the AWS pricing pages; KMS is from
 * https://aws.amazon.com/kms/pricing/ (checked 2026-11). Re-check the pricing pages before quoting
 * the cost figures: prices change, and other regions differ.
 */
export const PRICES: Prices = {
  source:
    'us-east-1 list prices from the AWS pricing pages as quoted in issue 7, KMS checked 2026-11 (bench/prices.ts)',
  secretsManager: {
    perSecretMonth: 0.4,
    perTenThousandCalls: 0.05,
  },
  dynamoDbOnDemand: {
    perMillionWriteUnits: 0.625,
    perMillionReadUnits: 0.125,
  },
  lambdaArm64: {
    perMillionRequests: 0.2,
    perGbSecond: 0.0000133334,
  },
  /**
   * Token secrets are encrypted with the stack's customer-managed key. Secrets Manager asks KMS
   * for a new data key whenever a secret value changes (GenerateDataKey) and decrypts it for every
   * read (Decrypt), so each GetSecretValue and PutSecretValue is also a KMS request.
   */
  kms: {
    perKeyMonth: 1,
    perTenThousandRequests: 0.03,
  },
  /** AWS bills a month as 730 hours. */
  hoursPerMonth: 730,
};
