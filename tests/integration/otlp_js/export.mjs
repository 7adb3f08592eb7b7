// Export known metrics, logs and spans to sluice's OTLP/HTTP listener with
// the OpenTelemetry JS SDK, then print what each export returned.
//
// usage: node export.mjs BASE_URL proto|http gzip|none TAG
//   BASE_URL  http://127.0.0.1:PORT (the exporters add /v1/<signal>)
//   TAG       makes the names unique: js_TAG_requests, js_TAG_temp,
//             js_TAG_latency, log body "js log TAG", span "js-span-TAG"
// Prints one JSON line: {"metrics":CODE,"logs":CODE,"traces":CODE,
// "errors":[...]} where CODE 0 is SUCCESS (the server answered 200).
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { TracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import * as mproto from '@opentelemetry/exporter-metrics-otlp-proto';
import * as mjson from '@opentelemetry/exporter-metrics-otlp-http';
import * as lproto from '@opentelemetry/exporter-logs-otlp-proto';
import * as ljson from '@opentelemetry/exporter-logs-otlp-http';
import * as tproto from '@opentelemetry/exporter-trace-otlp-proto';
import * as tjson from '@opentelemetry/exporter-trace-otlp-http';

const [base, protocol, compression, tag] = process.argv.slice(2);
const result = { metrics: null, logs: null, traces: null, errors: [] };
const opts = (signal) => ({ url: `${base}/v1/${signal}`, compression,
                            timeoutMillis: 10000 });
const proto = protocol === 'proto';
const resource = resourceFromAttributes({ 'service.name': `js-${tag}`,
                                          'host.name': 'js-host' });

// Record the result code the exporter hands back for each batch.
function watch(exporter, signal) {
  const inner = exporter.export.bind(exporter);
  exporter.export = (items, cb) => inner(items, (r) => {
    if (result[signal] === null || r.code !== 0) result[signal] = r.code;
    if (r.error) result.errors.push(`${signal}: ${r.error.message}`);
    cb(r);
  });
  return exporter;
}

async function metrics() {
  const E = proto ? mproto.OTLPMetricExporter : mjson.OTLPMetricExporter;
  const reader = new PeriodicExportingMetricReader({
    exporter: watch(new E(opts('metrics')), 'metrics'),
    exportIntervalMillis: 3600000 });
  const mp = new MeterProvider({ resource, readers: [reader] });
  const m = mp.getMeter('sluice-test');
  m.createCounter(`js_${tag}_requests`).add(7, { route: '/a' });
  m.createGauge(`js_${tag}_temp`).record(21.5, { room: 'b' });
  const h = m.createHistogram(`js_${tag}_latency`,
                              { advice: { explicitBucketBoundaries: [5, 10] } });
  h.record(3);
  h.record(12);
  await mp.forceFlush();
  await mp.shutdown();
}

async function logs() {
  const E = proto ? lproto.OTLPLogExporter : ljson.OTLPLogExporter;
  const lp = new LoggerProvider({ resource, processors: [
    new SimpleLogRecordProcessor({
    exporter: watch(new E(opts('logs')), 'logs') })] });
  lp.getLogger('sluice-test').emit({ body: `js log ${tag}`, severityNumber: 9,
                                     severityText: 'INFO',
                                     attributes: { k: 'v' } });
  await lp.forceFlush();
  await lp.shutdown();
}

async function traces() {
  const E = proto ? tproto.OTLPTraceExporter : tjson.OTLPTraceExporter;
  const tp = new TracerProvider({ resource, spanProcessors: [
    new SimpleSpanProcessor({
    exporter: watch(new E(opts('traces')), 'traces') })] });
  tp.getTracer('sluice-test').startSpan(`js-span-${tag}`).end();
  await tp.forceFlush();
  await tp.shutdown();
}

for (const f of [metrics, logs, traces]) {
  try {
    await f();
  } catch (e) {
    result.errors.push(`${f.name}: ${e.message}`);
  }
}
console.log(JSON.stringify(result));
