package dev.twinmesh.common;

/** Kafka topics, event-bus addresses and schema tags: the names every service agrees on. */
public final class Names {
  private Names() {}

  public static final String TOPIC_TRACES = "twin.traces.v1";
  public static final String TOPIC_JOB_REQUESTS = "twin.jobs.requests.v1";
  public static final String TOPIC_JOB_RESULTS = "twin.jobs.results.v1";
  public static final String TOPIC_JOB_DLQ = "twin.jobs.dlq.v1";

  /** Event bus, request/reply: {@link RagPromptRequest} in, {@link RagPromptReply} out. */
  public static final String ADDRESS_RAG_PROMPT = "rag.prompt";

  /** Event bus, request/reply: {@link IngestRequest} in, {@link IngestReply} out (embedding takes seconds). */
  public static final String ADDRESS_RAG_INGEST = "rag.ingest";

  public static final String SCHEMA_TRACE = "twin.trace.v1";
  public static final String SCHEMA_JOB_REQUEST = "twin.job.request.v1";
  public static final String SCHEMA_JOB_RESULT = "twin.job.result.v1";
  public static final String SCHEMA_JOB_FAILURE = "twin.job.failure.v1";

  /** The consumer group of the jobs consumers; its lag on {@link #TOPIC_JOB_REQUESTS} is the scaling signal. */
  public static final String GROUP_JOBS = "twin-jobs";

  /** Response header that carries the trace id to clients. */
  public static final String HEADER_TRACE_ID = "X-Twin-Trace-Id";

  /**
   * Request header by which a gateway asks a twin-mesh worker to use its completion id in the chunks;
   * the worker echoes it in the response when it did, so the gateway can forward the chunks unchanged.
   */
  public static final String HEADER_COMPLETION_ID = "X-Twin-Completion-Id";
}
