// Makes signed calls with the console's own client (api.js over sigv4.js)
// against the rolecall at $ENDPOINT, and prints one line per call:
// "name status-or-error-code". Run by TestBrowserSignerAgainstServer.
import { Client } from '../assets/js/api.js';

const c = new Client({
  accessKeyId: process.env.KEY_ID, secretAccessKey: process.env.SECRET,
  sessionToken: process.env.TOKEN || undefined, region: process.env.REGION, endpoint: process.env.ENDPOINT,
});
const calls = {
  'list-functions': () => c.lambda('GET', '/2015-03-31/functions/', { query: { MaxItems: '5' } }),
  'odd-query': () => c.lambda('GET', '/2015-03-31/functions/', { query: { Marker: 'a b/c+d=é', MaxItems: '1' } }),
  'arn-in-path': () => c.lambda('GET', `/2015-03-31/functions/${encodeURIComponent('arn:aws:lambda:us-east-1:123456789012:function:no-such')}/configuration`),
  'template': () => c.rolecall('GET', '/v1/policy-templates/basic-lambda-edge'),
  'odd-path': () => c.rolecall('GET', `/v1/policy-templates/${encodeURIComponent("no such (template) é+/ü'*")}`),
  'json-target': () => c.cloudtrail('LookupEvents', { MaxResults: 1 }),
  'logs': () => c.logs('DescribeLogGroups', { logGroupNamePrefix: '/aws/lambda/' }),
  'post-body': () => c.lambda('POST', '/2015-03-31/functions/no-such/invocations', { body: { 'ü': 'ß' } }),
};
for (const [name, call] of Object.entries(calls)) {
  try {
    await call();
    console.log(name, 'ok');
  } catch (e) {
    console.log(name, e.code);
  }
}
