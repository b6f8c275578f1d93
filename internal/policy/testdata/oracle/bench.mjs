// bench.mjs times @cloud-copilot/iam-simulate on the cases of the Go
// benchmarks in internal/policy/bench_test.go (the same policies, requests
// and context), for comparison with policy.Evaluate.
//
// Usage: node bench.mjs MODULES_DIR [seconds-per-case]
//
// runSimulation validates and looks up iam-data on every call;
// runUnsafeSimulation skips that (and ignores session policies). Keep the
// builders below in step with bench_test.go.
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'

const modulesDir = process.argv[2]
if (!modulesDir) {
  console.error('usage: node bench.mjs MODULES_DIR [seconds-per-case]')
  process.exit(2)
}
const seconds = Number(process.argv[3] ?? '1')
const require = createRequire(join(resolve(modulesDir), '..', 'package.json'))
const { runSimulation, runUnsafeSimulation } = require('@cloud-copilot/iam-simulate')

const acct = '123456789012'
const doc = (stmts) => ({ Version: '2012-10-17', Statement: stmts })
const range = (n) => [...Array(n).keys()]
const pad8 = (i) => String(i).padStart(8, '0')

const basicExecutionRole = doc([
  { Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*', Effect: 'Allow' }
])
const fullAWSAccess = doc([{ Effect: 'Allow', Action: '*', Resource: '*' }])
const sourceVpcSCP = doc([
  {
    Action: ['s3:*'],
    Resource: 'arn:aws:s3:::lambda_bucket/*',
    Effect: 'Deny',
    Condition: {
      StringNotEqualsIfExists: { 'aws:SourceVpc': ['vpc-12345678'] },
      ArnNotEqualsIfExists: { 'lambda:SourceFunctionArn': `arn:aws:lambda:us-east-1:${acct}:function:source_lambda` }
    }
  }
])

function customerPolicies() {
  const data = range(10).map((i) => {
    switch (i % 3) {
      case 0:
        return { Sid: `S3Read${i}`, Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: `arn:aws:s3:::app-bucket-${i}/*`, Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } } }
      case 1:
        return { Sid: `S3Write${i}`, Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectTagging'], Resource: `arn:aws:s3:::app-bucket-${i}/uploads/*`, Condition: { ArnEquals: { 'lambda:SourceFunctionArn': `arn:aws:lambda:us-east-1:${acct}:function:fn-${i}` }, Bool: { 'aws:SecureTransport': 'true' } } }
    }
    return { Sid: `Table${i}`, Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], Resource: [`arn:aws:dynamodb:us-east-1:${acct}:table/t${i}`, `arn:aws:dynamodb:us-east-1:${acct}:table/t${i}/index/*`] }
  })
  const messaging = range(10).map((i) => {
    switch (i % 4) {
      case 0:
        return { Sid: `Sqs${i}`, Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: `arn:aws:sqs:us-east-1:${acct}:queue-${i}` }
      case 1:
        return { Sid: `Sns${i}`, Effect: 'Allow', Action: 'sns:Publish', Resource: `arn:aws:sns:us-east-1:${acct}:topic-${i}`, Condition: { StringLike: { 'aws:PrincipalTag/team': 'team-*' } } }
      case 2:
        return { Sid: `Secret${i}`, Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `arn:aws:secretsmanager:us-east-1:${acct}:secret:app/${i}-*`, Condition: { StringEquals: { 'aws:ResourceTag/env': '${aws:PrincipalTag/env}' } } }
    }
    return { Sid: `Kms${i}`, Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: `arn:aws:kms:us-east-1:${acct}:key/${pad8(i)}-aaaa-bbbb-cccc-dddddddddddd`, Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } } }
  })
  const guards = [
    { Sid: 'DenyInsecure', Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    { Sid: 'DenyOutsideVpc', Effect: 'Deny', Action: ['dynamodb:DeleteTable', 's3:DeleteBucket'], Resource: '*', Condition: { StringNotEqualsIfExists: { 'aws:SourceVpc': 'vpc-12345678' } } },
    { Sid: 'DenyIAM', Effect: 'Deny', Action: 'iam:*', Resource: '*' },
    { Sid: 'XRay', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
    { Sid: 'Params', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters'], Resource: `arn:aws:ssm:us-east-1:${acct}:parameter/app/*` },
    { Sid: 'DenyOtherRegions', Effect: 'Deny', NotAction: ['iam:*', 'sts:*', 'cloudfront:*'], Resource: '*', Condition: { StringNotEquals: { 'aws:RequestedRegion': ['us-east-1', 'us-west-2'] } } },
    { Sid: 'Events', Effect: 'Allow', Action: 'events:PutEvents', Resource: `arn:aws:events:us-east-1:${acct}:event-bus/default` },
    { Sid: 'Invoke', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: `arn:aws:lambda:us-east-1:${acct}:function:worker-*` },
    { Sid: 'Ip', Effect: 'Deny', Action: 's3:PutObject', Resource: 'arn:aws:s3:::app-bucket-1/private/*', Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } } }
  ]
  return [doc(data), doc(messaging), doc(guards)]
}

function typicalRole() {
  return [
    { name: 'AWSLambdaBasicExecutionRole', policy: basicExecutionRole },
    ...customerPolicies().map((policy, i) => ({ name: `app-${i}`, policy }))
  ]
}

function largeRole() {
  const services = ['s3', 'dynamodb', 'sqs', 'sns', 'logs', 'kms', 'ssm', 'lambda', 'ec2', 'events']
  return range(10).map((p) => ({
    name: `p${p}`,
    policy: doc(
      range(10).map((i) => {
        const svc = services[(p + i) % services.length]
        switch (i % 5) {
          case 0:
            return { Effect: 'Allow', Action: `${svc}:Get*`, Resource: `arn:aws:${svc}:::res-${p}-${i}/*` }
          case 1:
            return { Effect: 'Allow', Action: [`${svc}:List*`, `${svc}:Describe*`], Resource: '*' }
          case 2:
            return { Effect: 'Allow', Action: `${svc}:*`, Resource: `arn:aws:${svc}:::app-${p * 10 + i}-*`, Condition: { StringLike: { 'aws:PrincipalTag/team': `t${p}*` } } }
          case 3:
            return { Effect: 'Deny', Action: `${svc}:Delete*`, Resource: '*', Condition: { StringNotEquals: { 'aws:PrincipalTag/role': 'admin' } } }
        }
        return { Effect: 'Allow', Action: `${svc}:Put*`, Resource: `arn:aws:${svc}:::*/\${aws:PrincipalTag/team}/*` }
      })
    )
  }))
}

// atLimit fills a policy with statements until it reaches size
// non-whitespace characters (policy.Size).
function atLimit(size, f) {
  const stmts = []
  for (let i = 0; ; i++) {
    const next = [...stmts, f(i)]
    if (JSON.stringify(doc(next)).replace(/\s/g, '').length > size) break
    stmts.push(f(i))
  }
  return doc(stmts)
}

function worstCaseStatement(i) {
  return {
    Sid: `S${i}`,
    Effect: 'Allow',
    Action: ['s3:*Object*', 's3:Get?ucket*'],
    Resource: [`arn:aws:s3:::*-${i}/*a*b*c*`, `arn:aws:s3:::bucket-${i}/\${aws:PrincipalTag/team}/*`],
    Condition: { StringLike: { 'aws:PrincipalTag/x': [`*${i}*`] }, IpAddress: { 'aws:SourceIp': [`10.${i % 250}.0.0/16`] } }
  }
}

function lambdaContext() {
  return {
    'aws:PrincipalArn': `arn:aws:iam::${acct}:role/fn-role`,
    'aws:PrincipalAccount': acct,
    'aws:PrincipalTag/team': 'team-data',
    'aws:PrincipalTag/env': 'prod',
    'aws:SourceIp': '10.1.2.3',
    'aws:SecureTransport': 'true',
    'aws:RequestedRegion': 'us-east-1',
    'aws:CurrentTime': '2026-05-01T12:00:00Z',
    'aws:EpochTime': '1777636800',
    'lambda:SourceFunctionArn': `arn:aws:lambda:us-east-1:${acct}:function:fn-1`,
    'aws:SourceVpc': 'vpc-12345678'
  }
}

const principal = `arn:aws:sts::${acct}:assumed-role/fn-role/fn-1`

function sim({ identity, boundary, session, scps = [], action, resource, context = lambdaContext() }) {
  const s = {
    request: { principal, action, resource: { resource, accountId: acct }, contextVariables: context },
    identityPolicies: identity,
    serviceControlPolicies: scps.map((policies, i) => ({ orgIdentifier: `level-${i}`, policies })),
    resourceControlPolicies: []
  }
  if (boundary) s.permissionBoundaryPolicies = [{ name: 'boundary', policy: boundary }]
  if (session) s.sessionPolicy = session
  return s
}

const cases = []
{
  const identity = typicalRole()
  const add = (name, action, resource, want, context) =>
    cases.push({ name: `BenchmarkTypicalLambdaRole/${name}`, want, sim: sim({ identity, action, resource, context }) })
  add('PutObject', 's3:PutObject', 'arn:aws:s3:::app-bucket-1/uploads/a.json', 'Allowed')
  add('PutLogEvents', 'logs:PutLogEvents', `arn:aws:logs:us-east-1:${acct}:log-group:/aws/lambda/fn-1:log-stream:x`, 'Allowed')
  add('GetSecretValue', 'secretsmanager:GetSecretValue', `arn:aws:secretsmanager:us-east-1:${acct}:secret:app/2-abcdef`, 'Allowed', { ...lambdaContext(), 'aws:ResourceTag/env': 'prod' })
  add('ImplicitDeny', 's3:DeleteObject', 'arn:aws:s3:::app-bucket-1/uploads/a.json', 'ImplicitlyDenied')
  add('ExplicitDeny', 'iam:CreateUser', `arn:aws:iam::${acct}:user/x`, 'ExplicitlyDenied')
}
{
  const identity = largeRole()
  cases.push({ name: 'BenchmarkLargeRole/Allow', want: 'Allowed', sim: sim({ identity, action: 's3:PutObject', resource: 'arn:aws:s3:::x/team-data/y' }) })
  cases.push({ name: 'BenchmarkLargeRole/ImplicitDeny', want: 'ImplicitlyDenied', sim: sim({ identity, action: 's3:PutObject', resource: 'arn:aws:s3:::x/other/y' }) })
}
{
  const identity = [{ name: 'basic', policy: basicExecutionRole }, ...customerPolicies().map((policy, i) => ({ name: `c${i}`, policy }))]
  const boundary = doc([
    { Effect: 'Allow', Action: ['s3:*', 'logs:*', 'dynamodb:*', 'sqs:*', 'sns:*', 'kms:*', 'secretsmanager:*', 'xray:*'], Resource: '*' },
    { Effect: 'Deny', Action: 'iam:*', Resource: '*' }
  ])
  const scps = [
    [{ name: 'FullAWSAccess', policy: fullAWSAccess }],
    [{ name: 'FullAWSAccess', policy: fullAWSAccess }, { name: 'lambda-bucket', policy: sourceVpcSCP }],
    [{ name: 'FullAWSAccess', policy: fullAWSAccess }, { name: 'regions', policy: doc({ Effect: 'Deny', NotAction: ['iam:*', 'sts:*'], Resource: '*', Condition: { StringNotEquals: { 'aws:RequestedRegion': ['us-east-1'] } } }) }]
  ]
  cases.push({ name: 'BenchmarkRoleWithSCPAndBoundary/Allow', want: 'Allowed', sim: sim({ identity, boundary, scps, action: 's3:PutObject', resource: 'arn:aws:s3:::app-bucket-1/uploads/a.json' }) })
  cases.push({ name: 'BenchmarkRoleWithSCPAndBoundary/BoundaryDeny', want: 'ImplicitlyDenied', sim: sim({ identity, boundary, scps, action: 'ssm:GetParameter', resource: `arn:aws:ssm:us-east-1:${acct}:parameter/app/x` }) })
}
{
  const identity = range(20).map((p) => ({ name: `m${p}`, policy: atLimit(6144, worstCaseStatement) }))
  identity.push({ name: 'inline', policy: atLimit(10240, worstCaseStatement) })
  const denyStatement = (i) => ({ ...worstCaseStatement(i), Effect: 'Deny' })
  const scps = range(5).map(() => [{ name: 'FullAWSAccess', policy: fullAWSAccess }, { name: 'scp', policy: atLimit(5120, denyStatement) }])
  cases.push({
    name: 'BenchmarkWorstCaseAtLimits',
    want: 'ImplicitlyDenied',
    sim: sim({
      identity,
      boundary: atLimit(6144, worstCaseStatement),
      session: atLimit(2048, worstCaseStatement),
      scps,
      action: 's3:PutObject',
      resource: 'arn:aws:s3:::bucket-1/team-data/abx',
      context: { ...lambdaContext(), 'aws:PrincipalTag/x': 'nothing-matches' }
    })
  })
}

// time runs f for about the given seconds (after a warm-up) and returns
// microseconds per call.
async function time(f) {
  for (let i = 0; i < 20; i++) await f()
  let n = 0
  const start = process.hrtime.bigint()
  const until = start + BigInt(Math.round(seconds * 1e9))
  let now = start
  while (now < until) {
    for (let i = 0; i < 10; i++) await f()
    n += 10
    now = process.hrtime.bigint()
  }
  return Number(now - start) / 1000 / n
}

console.log(`@cloud-copilot/iam-simulate on node ${process.version}, ${seconds}s per case`)
console.log(`${'case'.padEnd(48)} ${'result'.padEnd(17)} ${'runSimulation'.padStart(16)} ${'runUnsafeSimulation'.padStart(22)}`)
let failed = false
for (const c of cases) {
  const r = await runSimulation(c.sim, { simulationMode: 'Strict' })
  const result = r.resultType === 'error' ? `error:${r.errors.message}` : r.overallResult
  if (result !== c.want) failed = true
  const safe = await time(() => runSimulation(c.sim, { simulationMode: 'Strict' }))
  const unsafe = await time(() => runUnsafeSimulation(c.sim, {}))
  const note = result === c.want ? '' : `  (Go benchmark expects ${c.want})`
  console.log(`${c.name.padEnd(48)} ${result.padEnd(17)} ${(safe.toFixed(1) + ' µs/op').padStart(16)} ${(unsafe.toFixed(1) + ' µs/op').padStart(22)}${note}`)
}
if (failed) process.exitCode = 1
