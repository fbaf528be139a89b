package dev.twinmesh.monitoring;

import dev.twinmesh.common.TraceRecord;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The trace store in PostgreSQL: schema, idempotent writes of consumed batches, and the dashboard's reads. */
final class TraceStore {
  private static final Logger LOG = LoggerFactory.getLogger(TraceStore.class);
  /** Any constant will do: it only serialises concurrent migrations of consumers starting together. */
  private static final long MIGRATION_LOCK = 0x7477696e6d657368L;
  /** SQLSTATE classes that blame the data, not the database: data exception, constraint, program limit. */
  private static final Set<String> DATA_ERROR_CLASSES = Set.of("22", "23", "54");

  private static final List<String> SCHEMA = List.of(
      """
      CREATE TABLE IF NOT EXISTS traces (
        trace_id        text PRIMARY KEY,
        received_at     timestamptz NOT NULL,
        model           text,
        author          text,
        status          text,
        finish_reason   text,
        prompt_tokens   integer,
        context_tokens  integer,
        answer_tokens   integer,
        queue_ms        bigint,
        ttft_ms         bigint,
        inter_token_ms  double precision,
        total_ms        bigint,
        retrieval_ms    bigint,
        worker_id       text,
        record          jsonb NOT NULL,
        stored_at       timestamptz NOT NULL DEFAULT now()
      )""",
      "CREATE INDEX IF NOT EXISTS traces_newest_first ON traces (received_at DESC, trace_id DESC)",
      // Where each stored version came from: batches are written in parallel, and a record must never be
      // replaced by an older one of the same trace id (same key, so same partition, lower offset).
      "ALTER TABLE traces ADD COLUMN IF NOT EXISTS kafka_partition integer",
      "ALTER TABLE traces ADD COLUMN IF NOT EXISTS kafka_offset bigint",
      // Traces are written far more often than read: store the record out of line without pglz compression.
      "ALTER TABLE traces ALTER COLUMN record SET STORAGE EXTERNAL",
      """
      CREATE TABLE IF NOT EXISTS dead_letters (
        id               bigserial PRIMARY KEY,
        topic            text NOT NULL,
        kafka_partition  integer NOT NULL,
        kafka_offset     bigint NOT NULL,
        record_key       text,
        raw_value        bytea,
        reason           text NOT NULL,
        stored_at        timestamptz NOT NULL DEFAULT now(),
        UNIQUE (topic, kafka_partition, kafka_offset)
      )""");

  // One statement per batch: the columns travel as arrays and unnest() turns them back into rows, which
  // costs far less per row than one Bind/Execute each. The record goes in as text and is cast by the
  // server: a String typed jsonb would be stored as one JSON string, and the server's parse is the check
  // we want anyway.
  private static final String UPSERT_TRACES = """
      INSERT INTO traces (trace_id, received_at, model, author, status, finish_reason, prompt_tokens,
        context_tokens, answer_tokens, queue_ms, ttft_ms, inter_token_ms, total_ms, retrieval_ms, worker_id, record,
        kafka_partition, kafka_offset)
      SELECT t.trace_id, t.received_at, t.model, t.author, t.status, t.finish_reason, t.prompt_tokens,
        t.context_tokens, t.answer_tokens, t.queue_ms, t.ttft_ms, t.inter_token_ms, t.total_ms, t.retrieval_ms,
        t.worker_id, t.record::jsonb, t.kafka_partition, t.kafka_offset
      FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
        $8::int[], $9::int[], $10::bigint[], $11::bigint[], $12::float8[], $13::bigint[], $14::bigint[],
        $15::text[], $16::text[], $17::int[], $18::bigint[])
        AS t(trace_id, received_at, model, author, status, finish_reason, prompt_tokens, context_tokens,
          answer_tokens, queue_ms, ttft_ms, inter_token_ms, total_ms, retrieval_ms, worker_id, record,
          kafka_partition, kafka_offset)
      ON CONFLICT (trace_id) DO UPDATE SET
        received_at = EXCLUDED.received_at, model = EXCLUDED.model, author = EXCLUDED.author,
        status = EXCLUDED.status, finish_reason = EXCLUDED.finish_reason,
        prompt_tokens = EXCLUDED.prompt_tokens, context_tokens = EXCLUDED.context_tokens,
        answer_tokens = EXCLUDED.answer_tokens, queue_ms = EXCLUDED.queue_ms, ttft_ms = EXCLUDED.ttft_ms,
        inter_token_ms = EXCLUDED.inter_token_ms, total_ms = EXCLUDED.total_ms,
        retrieval_ms = EXCLUDED.retrieval_ms, worker_id = EXCLUDED.worker_id, record = EXCLUDED.record,
        kafka_partition = EXCLUDED.kafka_partition, kafka_offset = EXCLUDED.kafka_offset, stored_at = now()
      WHERE traces.kafka_offset IS NULL OR traces.kafka_partition IS DISTINCT FROM EXCLUDED.kafka_partition
        OR EXCLUDED.kafka_offset >= traces.kafka_offset""";

  // A redelivered bad record keeps its first row: its position identifies it.
  private static final String INSERT_DEAD_LETTER = """
      INSERT INTO dead_letters (topic, kafka_partition, kafka_offset, record_key, raw_value, reason)
      VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (topic, kafka_partition, kafka_offset) DO NOTHING""";

  /** The shared WHERE clause of the list and the stats: every filter is optional (a null parameter is no filter). */
  private static final String FILTERS = """
      WHERE ($1::text IS NULL OR author = $1) AND ($2::text IS NULL OR model = $2)
        AND ($3::text IS NULL OR status = $3)
        AND ($4::timestamptz IS NULL OR received_at >= $4) AND ($5::timestamptz IS NULL OR received_at < $5)
        AND ($6::bigint IS NULL OR total_ms > $6)
        AND ($7::text IS NULL OR record->>'answer' ILIKE $7 OR record->>'prompt' ILIKE $7
             OR (record->'messages')::text ILIKE $7)""";

  private static final String SELECT_TRACES = "SELECT record FROM traces " + FILTERS
      + " ORDER BY received_at DESC, trace_id DESC LIMIT $8";

  /** Per time bucket ($8 seconds wide): volume, errors, TTFT and latency percentiles, decode speed. */
  private static final String SELECT_STATS = """
      SELECT floor(extract(epoch FROM received_at) / $8)::bigint * $8 AS bucket,
        count(*) AS requests,
        count(*) FILTER (WHERE status = 'failed') AS errors,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY ttft_ms) AS ttft_p50,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY ttft_ms) AS ttft_p95,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY total_ms) AS latency_p50,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY total_ms) AS latency_p95,
        coalesce(sum(answer_tokens), 0) AS answer_tokens,
        sum(answer_tokens) FILTER (WHERE ttft_ms IS NOT NULL AND total_ms > ttft_ms)::float8
          / nullif(sum(total_ms - ttft_ms) FILTER (WHERE ttft_ms IS NOT NULL AND total_ms > ttft_ms), 0) * 1000
          AS decode_tokens_per_s
      FROM traces
      """ + FILTERS + " GROUP BY 1 ORDER BY 1";

  private final Pool pool;

  private TraceStore(Pool pool) {
    this.pool = pool;
  }

  static TraceStore connect(Vertx vertx, MonitoringConfig config) {
    PgConnectOptions connect = new PgConnectOptions()
        .setHost(config.pgHost())
        .setPort(config.pgPort())
        .setDatabase(config.pgDatabase())
        .setUser(config.pgUser())
        .setPassword(config.pgPassword());
    Pool pool = PgBuilder.pool()
        // Room for the batches written in parallel and the dashboard's reads.
        .with(new PoolOptions().setMaxSize(6))
        .connectingTo(connect)
        .using(vertx)
        .build();
    return new TraceStore(pool);
  }

  /** Creates the tables and indexes that are missing. */
  Future<Void> migrate() {
    return pool.withTransaction(conn -> {
      Future<?> chain = conn.preparedQuery("SELECT pg_advisory_xact_lock($1)").execute(Tuple.of(MIGRATION_LOCK));
      for (String statement : SCHEMA) {
        chain = chain.compose(done -> conn.query(statement).execute());
      }
      return chain.<Void>mapEmpty();
    });
  }

  /**
   * Writes a consumed batch in one transaction: valid traces upserted by trace id, rejected records into
   * dead_letters. When PostgreSQL refuses a value itself (say a NUL character, which text and jsonb cannot
   * hold), the batch is written record by record and the refused ones become dead letters too, so one
   * such record never blocks the partition. Fails only when the database cannot be written at all.
   *
   * @return how many records went to dead_letters
   */
  Future<Integer> write(List<IncomingTrace> batch) {
    List<IncomingTrace.Valid> valid = new ArrayList<>();
    List<IncomingTrace.Rejected> rejected = new ArrayList<>();
    for (IncomingTrace incoming : batch) {
      if (incoming instanceof IncomingTrace.Valid v) {
        valid.add(v);
      } else {
        rejected.add((IncomingTrace.Rejected) incoming);
      }
    }
    return pool.withTransaction(conn -> upsert(conn, valid).compose(v -> insertDeadLetters(conn, rejected)))
        .map(rejected.size())
        .recover(failure -> isDataError(failure) ? writeOneByOne(batch, failure) : Future.failedFuture(failure));
  }

  Future<JsonArray> list(TraceQuery query) {
    return pool.preparedQuery(SELECT_TRACES).execute(filters(query).addValue(query.limit())).map(rows -> {
      JsonArray records = new JsonArray();
      for (Row row : rows) {
        records.add(row.getJsonObject("record"));
      }
      return records;
    });
  }

  /**
   * Aggregates over time buckets of {@code bucketSeconds}: one JSON object per bucket that has traces,
   * oldest first, with {@code start} (epoch ms), {@code requests}, {@code errors}, {@code ttft_p50_ms},
   * {@code ttft_p95_ms}, {@code latency_p50_ms}, {@code latency_p95_ms}, {@code answer_tokens} and
   * {@code decode_tokens_per_s} (answer tokens over decode time, first token to last).
   */
  Future<JsonArray> stats(TraceQuery query, int bucketSeconds) {
    return pool.preparedQuery(SELECT_STATS).execute(filters(query).addValue(bucketSeconds)).map(rows -> {
      JsonArray buckets = new JsonArray();
      for (Row row : rows) {
        buckets.add(new JsonObject()
            .put("start", row.getLong("bucket") * 1000)
            .put("requests", row.getLong("requests"))
            .put("errors", row.getLong("errors"))
            .put("ttft_p50_ms", row.getDouble("ttft_p50"))
            .put("ttft_p95_ms", row.getDouble("ttft_p95"))
            .put("latency_p50_ms", row.getDouble("latency_p50"))
            .put("latency_p95_ms", row.getDouble("latency_p95"))
            .put("answer_tokens", row.getLong("answer_tokens"))
            .put("decode_tokens_per_s", row.getDouble("decode_tokens_per_s")));
      }
      return buckets;
    });
  }

  Future<Long> count() {
    return pool.query("SELECT count(*) FROM traces").execute().map(rows -> rows.iterator().next().getLong(0));
  }

  private static Tuple filters(TraceQuery query) {
    return Tuple.tuple().addValue(query.author()).addValue(query.model()).addValue(query.status())
        .addValue(query.from()).addValue(query.to()).addValue(query.minLatencyMs()).addValue(query.textPattern());
  }

  /** The stored record, or null when no trace has this id. */
  Future<JsonObject> find(String traceId) {
    return pool.preparedQuery("SELECT record FROM traces WHERE trace_id = $1").execute(Tuple.of(traceId))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getJsonObject("record"));
  }

  Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  Future<Void> close() {
    return pool.close();
  }

  private Future<Integer> writeOneByOne(List<IncomingTrace> batch, Throwable cause) {
    LOG.warn("PostgreSQL refused a value in a batch of {} ({}); writing record by record", batch.size(),
        cause.getMessage());
    Future<Integer> chain = Future.succeededFuture(0);
    for (IncomingTrace incoming : batch) {
      chain = chain.compose(deadLetters -> writeOne(incoming).map(dead -> deadLetters + (dead ? 1 : 0)));
    }
    return chain;
  }

  /** Writes one record on its own; true when it went to dead_letters. */
  private Future<Boolean> writeOne(IncomingTrace incoming) {
    if (incoming instanceof IncomingTrace.Rejected rejected) {
      return insertDeadLetters(pool, List.of(rejected)).map(true);
    }
    IncomingTrace.Valid valid = (IncomingTrace.Valid) incoming;
    return upsert(pool, List.of(valid)).map(false).recover(failure -> {
      if (!isDataError(failure)) {
        return Future.failedFuture(failure);
      }
      IncomingTrace.Rejected refused = new IncomingTrace.Rejected(valid.topic(), valid.partition(),
          valid.offset(), valid.trace().traceId(), valid.json().getBytes(StandardCharsets.UTF_8),
          "rejected by PostgreSQL: " + failure.getMessage());
      return insertDeadLetters(pool, List.of(refused)).map(true);
    });
  }

  private static Future<Void> upsert(SqlClient client, List<IncomingTrace.Valid> traces) {
    if (traces.isEmpty()) {
      return Future.succeededFuture();
    }
    // One statement cannot update a row twice: of a trace id seen twice in a batch, the later record wins.
    // Rows go in trace id order, so concurrent batches lock shared ids in the same order and never deadlock.
    java.util.TreeMap<String, IncomingTrace.Valid> latest = new java.util.TreeMap<>();
    for (IncomingTrace.Valid valid : traces) {
      latest.put(valid.trace().traceId(), valid);
    }
    return client.preparedQuery(UPSERT_TRACES).execute(traceColumns(List.copyOf(latest.values()))).mapEmpty();
  }

  private static Future<Void> insertDeadLetters(SqlClient client, List<IncomingTrace.Rejected> rejected) {
    if (rejected.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Tuple> rows = rejected.stream().map(TraceStore::deadLetterRow).toList();
    return client.preparedQuery(INSERT_DEAD_LETTER).executeBatch(rows).mapEmpty();
  }

  /** The batch as eighteen arrays, one per column, in the order of {@link #UPSERT_TRACES}. */
  private static Tuple traceColumns(List<IncomingTrace.Valid> batch) {
    int n = batch.size();
    String[] ids = new String[n], models = new String[n], authors = new String[n], statuses = new String[n];
    String[] finishReasons = new String[n], workers = new String[n], records = new String[n];
    java.time.OffsetDateTime[] received = new java.time.OffsetDateTime[n];
    Integer[] promptTokens = new Integer[n], contextTokens = new Integer[n], answerTokens = new Integer[n];
    Long[] queue = new Long[n], ttft = new Long[n], total = new Long[n], retrieval = new Long[n];
    Double[] interToken = new Double[n];
    Integer[] partitions = new Integer[n];
    Long[] offsets = new Long[n];
    for (int i = 0; i < n; i++) {
      IncomingTrace.Valid valid = batch.get(i);
      TraceRecord t = valid.trace();
      TraceRecord.Request request = t.request();
      TraceRecord.Tokens tokens = t.tokens();
      TraceRecord.Latencies latencies = t.latencies();
      ids[i] = t.traceId();
      received[i] = valid.receivedAt();
      models[i] = request == null ? null : request.model();
      authors[i] = request == null ? null : request.author();
      statuses[i] = t.status();
      finishReasons[i] = t.finishReason();
      promptTokens[i] = tokens == null ? null : tokens.prompt();
      contextTokens[i] = tokens == null ? null : tokens.context();
      answerTokens[i] = tokens == null ? null : tokens.answer();
      queue[i] = latencies == null ? null : latencies.queueMs();
      ttft[i] = latencies == null ? null : latencies.ttftMs();
      interToken[i] = latencies == null ? null : latencies.interTokenMs();
      total[i] = latencies == null ? null : latencies.totalMs();
      retrieval[i] = latencies == null ? null : latencies.retrievalMs();
      workers[i] = t.workerId();
      records[i] = valid.json();
      partitions[i] = valid.partition();
      offsets[i] = valid.offset();
    }
    return Tuple.tuple()
        .addArrayOfString(ids).addArrayOfOffsetDateTime(received).addArrayOfString(models)
        .addArrayOfString(authors).addArrayOfString(statuses).addArrayOfString(finishReasons)
        .addArrayOfInteger(promptTokens).addArrayOfInteger(contextTokens).addArrayOfInteger(answerTokens)
        .addArrayOfLong(queue).addArrayOfLong(ttft).addArrayOfDouble(interToken).addArrayOfLong(total)
        .addArrayOfLong(retrieval).addArrayOfString(workers).addArrayOfString(records)
        .addArrayOfInteger(partitions).addArrayOfLong(offsets);
  }

  private static Tuple deadLetterRow(IncomingTrace.Rejected rejected) {
    return Tuple.tuple()
        .addValue(rejected.topic())
        .addValue(rejected.partition())
        .addValue(rejected.offset())
        .addValue(withoutNul(rejected.key()))
        .addValue(rejected.rawValue() == null ? null : Buffer.buffer(rejected.rawValue()))
        .addValue(withoutNul(rejected.reason()));
  }

  /** text columns cannot hold NUL; raw bytes keep the exact value, so the key and reason may lose it. */
  private static String withoutNul(String value) {
    return value == null ? null : value.replace("\u0000", "");
  }

  private static boolean isDataError(Throwable failure) {
    return failure instanceof PgException pg && pg.getSqlState() != null
        && DATA_ERROR_CLASSES.contains(pg.getSqlState().substring(0, 2));
  }
}
