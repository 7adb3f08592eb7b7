// tests/integration/otlp_grpc/latency.mjs - the latency of an OTLP/gRPC
// Export call answered once durable (perf/RESULTS.md): N calls with the
// JS SDK's metrics fixture, CONC at a time, over one @grpc/grpc-js channel.
//
//   node latency.mjs HOST:PORT FIXTURE N CONC
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [target, fixture, n = '2000', conc = '1'] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const grpc = require(require.resolve('@grpc/grpc-js', {
  paths: [require.resolve('@opentelemetry/otlp-grpc-exporter-base')] }));
const body = readFileSync(fixture);
const client = new grpc.Client(target, grpc.credentials.createInsecure());
const path = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const call = () => new Promise((resolve, reject) => {
  const t0 = process.hrtime.bigint();
  client.makeUnaryRequest(path, (b) => b, (b) => b, body, (err) =>
    err ? reject(err) : resolve(Number(process.hrtime.bigint() - t0) / 1e6));
});
const ms = [];
const t0 = Date.now();
let left = Number(n);
await Promise.all(Array.from({ length: Number(conc) }, async () => {
  while (left-- > 0) ms.push(await call());
}));
const secs = (Date.now() - t0) / 1000;
ms.sort((a, b) => a - b);
const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(2);
console.log(`calls ${ms.length} conc ${conc}: ${(ms.length / secs).toFixed(0)} calls/s, ` +
            `p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);
client.close();
