package dev.twinmesh.monitoring;

import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.TraceRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One record read from the trace topic, classified: a {@link Valid} trace to upsert, or a {@link Rejected}
 * value for the dead-letter table. Classification never throws, so one bad record cannot stop a batch.
 */
sealed interface IncomingTrace {
  /** Jackson's messages quote the input; keep the stored reason readable. */
  int MAX_REASON_LENGTH = 500;

  String topic();

  int partition();

  long offset();

  /** A parsed trace; {@code json} is the value exactly as produced, stored as the record. */
  record Valid(String topic, int partition, long offset, TraceRecord trace, OffsetDateTime receivedAt, String json)
      implements IncomingTrace {}

  record Rejected(String topic, int partition, long offset, String key, byte[] rawValue, String reason)
      implements IncomingTrace {}

  static IncomingTrace classify(ConsumerRecord<String, byte[]> record) {
    byte[] value = record.value();
    if (value == null) {
      return reject(record, "empty value");
    }
    String json = new String(value, StandardCharsets.UTF_8);
    TraceRecord trace;
    try {
      trace = Json.read(json, TraceRecord.class);
    } catch (IllegalArgumentException e) {
      return reject(record, e.getMessage());
    }
    if (trace == null) {
      return reject(record, "value is JSON null, not a trace record");
    }
    if (!Names.SCHEMA_TRACE.equals(trace.schema())) {
      return reject(record, "unsupported schema '" + trace.schema() + "', expected " + Names.SCHEMA_TRACE);
    }
    if (trace.traceId() == null || trace.traceId().isBlank()) {
      return reject(record, "trace_id is missing");
    }
    return new Valid(record.topic(), record.partition(), record.offset(), trace, receivedAt(trace, record), json);
  }

  static Rejected reject(ConsumerRecord<String, byte[]> record, String reason) {
    String trimmed = reason == null ? "unknown" : reason;
    if (trimmed.length() > MAX_REASON_LENGTH) {
      trimmed = trimmed.substring(0, MAX_REASON_LENGTH) + "...";
    }
    return new Rejected(record.topic(), record.partition(), record.offset(), record.key(), record.value(), trimmed);
  }

  /** The gateway's receive time; the Kafka timestamp stands in when a trace carries none. */
  private static OffsetDateTime receivedAt(TraceRecord trace, ConsumerRecord<String, byte[]> record) {
    long millis = trace.times() != null && trace.times().receivedAt() > 0
        ? trace.times().receivedAt()
        : record.timestamp();
    return OffsetDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
  }
}
