// Runs SPARQL queries with Comunica for tests/test_clients.py, all in one Node process (loading Comunica
// takes most of a second; a query against the loopback server takes milliseconds).
//
// stdin:  JSON [{"name": ..., "sources": [URL or {"type": "sparql", "value": URL}], "query": ..., "mediaType": ...}]
// stdout: JSON {name: {"output": the result serialised in mediaType} or {"error": message}}
//
// Each job gets a fresh QueryEngine, so no job sees what another one cached (service descriptions, counts).
import { QueryEngine } from '@comunica/query-sparql';

async function text(stream) {
  let all = '';
  for await (const chunk of stream) {
    all += chunk;
  }
  return all;
}

async function run(job) {
  const engine = new QueryEngine();
  const result = await engine.query(job.query, { sources: job.sources });
  const { data } = await engine.resultToString(result, job.mediaType);
  return text(data);
}

const answers = {};
for (const job of JSON.parse(await text(process.stdin))) {
  try {
    answers[job.name] = { output: await run(job) };
  } catch (error) {
    answers[job.name] = { error: String(error?.stack ?? error) };
  }
}
// Exit once the answer is written: idle keep-alive connections must not hold the process open.
process.stdout.write(JSON.stringify(answers), () => process.exit(0));
