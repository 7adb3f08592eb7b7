// tests/integration/otlp_grpc/send.mjs - metrics, a span and a log record
// through the OpenTelemetry JS SDK's gRPC exporters (what an application
// does), then one raw gRPC call per refusal the test checks.
//
//   node send.mjs URL COMPRESSION TAG   (COMPRESSION: none or gzip)
//
// Prints one JSON line: the export results the SDK saw, and the gRPC
// status of the raw calls.
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { TracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createRequire } from 'node:module';

const [url, compression, tag] = process.argv.slice(2);
const errors = [];
diag.setLogger({
  error: (...a) => errors.push(a.map(String).join(' ')),
  warn: (...a) => errors.push(a.map(String).join(' ')),
  info: () => {}, debug: () => {}, verbose: () => {},
}, DiagLogLevel.WARN);

const resource = resourceFromAttributes({ 'service.name': `grpc-it-${tag}`,
                                          'host.name': 'box-1' });
const opts = { url, compression, timeoutMillis: 10000 };

// Wrap an exporter to record the result code of every export.
const results = [];
function recorded(exporter, signal) {
  const inner = exporter.export.bind(exporter);
  exporter.export = (items, cb) => inner(items, (r) => {
    results.push({ signal, code: r.code, error: r.error ? String(r.error) : null });
    cb(r);
  });
  return exporter;
}

const metricExporter = recorded(new OTLPMetricExporter(opts), 'metrics');
const reader = new PeriodicExportingMetricReader({
  exporter: metricExporter, exportIntervalMillis: 3600000 });
const meters = new MeterProvider({ resource, readers: [reader] });
const meter = meters.getMeter('sluice-it');
const requests = meter.createCounter(`grpc_${tag}_requests`);
requests.add(5, { route: '/a' });
requests.add(7, { route: '/a' });
requests.add(1, { route: '/b' });
meter.createObservableGauge(`grpc_${tag}_temp`).addCallback((r) => r.observe(21.5, { room: 'x' }));
const latency = meter.createHistogram(`grpc_${tag}_latency`, {
  advice: { explicitBucketBoundaries: [1, 10, 100] } });
for (const v of [0.5, 5, 50]) latency.record(v);
await meters.shutdown(); // one collection, one export: one point a series

const tracer = new TracerProvider({ resource, spanProcessors: [
  new SimpleSpanProcessor({ exporter: recorded(new OTLPTraceExporter(opts), 'traces') })] });
tracer.getTracer('sluice-it').startSpan(`grpc-span-${tag}`).end();
await tracer.forceFlush();

const logs = new LoggerProvider({ resource, processors: [
  new SimpleLogRecordProcessor({ exporter: recorded(new OTLPLogExporter(opts), 'logs') })] });
logs.getLogger('sluice-it').emit({ body: `hello over grpc ${tag}`,
  severityNumber: 13, severityText: 'WARN', attributes: { 'user.id': 'u-9' } });
await logs.forceFlush();

// Raw calls with @grpc/grpc-js (the exporters' own transport).
const require = createRequire(import.meta.url);
const grpc = require(require.resolve('@grpc/grpc-js', {
  paths: [require.resolve('@opentelemetry/otlp-grpc-exporter-base')] }));
const target = url.replace(/^https?:\/\//, '');
const client = new grpc.Client(target, grpc.credentials.createInsecure());
const raw = (path, msg) => new Promise((resolve) => {
  client.makeUnaryRequest(path, (b) => b, (b) => b, msg, (err) =>
    resolve(err ? { code: err.code, details: err.details } : { code: 0 }));
});
const rawResults = {
  unknownMethod: await raw('/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export', Buffer.alloc(0)),
  undecodable: await raw('/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', Buffer.from([0x0a, 0x05, 0x01])),
  empty: await raw('/opentelemetry.proto.collector.logs.v1.LogsService/Export', Buffer.alloc(0)),
};
client.close();

await tracer.shutdown();
await logs.shutdown();
console.log(JSON.stringify({ results, raw: rawResults, errors }));
