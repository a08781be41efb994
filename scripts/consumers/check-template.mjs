// Checks a consumer's synthesized ConsumerStack: the library's sellers table and refresh schedule
// are there, the consumer's own function got exactly the token-read grant and TOKEN_SECRET_PREFIX,
// and the library's functions use the prebuilt bundles. Plain Node, so both consumers share it.
// Usage: node check-template.mjs <cdk.out> <label>
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const [outDir, label] = process.argv.slice(2);
const template = JSON.parse(fs.readFileSync(path.join(outDir, 'ConsumerStack.template.json'), 'utf8'));
const resources = Object.entries(template.Resources);
const ofType = (type) => resources.filter(([, resource]) => resource.Type === type);
const refOf = (value) => JSON.stringify(value);

// The sellers table, with the contract's keys and byRegion index.
const sellers = ofType('AWS::DynamoDB::Table').filter(
  ([, table]) =>
    refOf(table.Properties.KeySchema) ===
    refOf([
      { AttributeName: 'sellerId', KeyType: 'HASH' },
      { AttributeName: 'region', KeyType: 'RANGE' },
    ]),
);
assert.equal(sellers.length, 1, 'one sellers table keyed by sellerId + region');
assert.deepEqual(
  sellers[0][1].Properties.GlobalSecondaryIndexes.map((index) => index.IndexName),
  ['byRegion'],
);

// The refresh schedule, invoking the refresh function.
const schedules = ofType('AWS::Scheduler::Schedule');
assert.ok(schedules.length >= 1, 'an EventBridge Scheduler schedule');
const refreshSchedule = schedules.find(([, schedule]) =>
  /^(rate|cron)\(/.test(schedule.Properties.ScheduleExpression),
);
assert.ok(refreshSchedule, 'a rate or cron schedule');
const functions = ofType('AWS::Lambda::Function');
const refresher = functions.find(([id]) => refOf(refreshSchedule[1].Properties.Target.Arn).includes(id));
assert.ok(refresher, 'the schedule targets a function of the stack');
assert.equal(
  refresher[1].Properties.Environment?.Variables?.REFRESH_REGIONS,
  'NA,EU',
  'refreshRegions reach the refresher',
);

// The grant on the consumer's own function: GetSecretValue on the token secrets only, and the prefix.
const [readerId, reader] = functions.find(([id]) => id.startsWith('SpApiReader')) ?? [];
assert.ok(reader, "the consumer's function");
assert.equal(
  reader.Properties.Environment?.Variables?.TOKEN_SECRET_PREFIX,
  'lwa-tokens',
  'grantReadTokens sets TOKEN_SECRET_PREFIX on the function',
);
const readerRole = reader.Properties.Role['Fn::GetAtt'][0];
const statements = ofType('AWS::IAM::Policy')
  .filter(([, policy]) => refOf(policy.Properties.Roles).includes(readerRole))
  .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);
const secretRead = statements.find((statement) => statement.Action === 'secretsmanager:GetSecretValue');
assert.ok(secretRead, `GetSecretValue granted to ${readerId}`);
assert.match(refOf(secretRead.Resource), /:secret:lwa-tokens\/\*/);
assert.ok(
  statements.some((statement) => statement.Action === 'kms:Decrypt'),
  'kms:Decrypt for the token secrets',
);
assert.ok(
  !statements.some((statement) => /PutSecretValue|CreateSecret|\*/.test(refOf(statement.Action))),
  'read only: no write or wildcard action',
);

// The library's handlers come from the package's prebuilt bundles (no bundling at synth).
const libraryFunctions = functions.filter(([id]) => id !== readerId);
assert.ok(libraryFunctions.length >= 4, 'the library functions');
for (const [id, fn] of libraryFunctions) {
  const asset = fn.Metadata?.['aws:asset:path'];
  if (!asset) continue; // CDK's own helper functions (log retention and the like) carry no bundle
  assert.ok(fs.existsSync(path.join(outDir, asset, 'index.js')), `${id}: asset has the prebuilt index.js`);
}

console.log(`${label}: sellers table, refresh schedule, grantReadTokens and prebuilt handlers present`);
