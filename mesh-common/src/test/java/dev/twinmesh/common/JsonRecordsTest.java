package dev.twinmesh.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonRecordsTest {

  @Test
  void traceRecordTravelsAsSnakeCaseJsonAndBack() {
    TraceRecord trace = new TraceRecord(Names.SCHEMA_TRACE, "t1",
        new TraceRecord.Times(1000, 1100L, 1500),
        new TraceRecord.Request("chat", "twin", SamplingParams.greedy(8), "ada", true, true),
        "instruction", Map.of("question", "q"), null,
        List.of(ChatMessage.user("q")), null, "answer", "stop",
        new TraceRecord.Tokens(10, 0, 8), new TraceRecord.Latencies(5L, 100L, 20.0, 500, null),
        "w1", TraceRecord.STATUS_OK, null);
    JsonObject json = Json.toJsonObject(trace);
    assertEquals("twin.trace.v1", json.getString("schema"));
    assertEquals("t1", json.getString("trace_id"));
    assertEquals(10, json.getJsonObject("tokens").getInteger("prompt"));
    assertEquals(100L, json.getJsonObject("latencies").getLong("ttft_ms"));
    assertTrue(json.getJsonObject("request").getJsonObject("sampling").containsKey("max_tokens"));
    assertEquals(trace, Json.fromJsonObject(json, TraceRecord.class));
  }

  @Test
  void ragPromptMessagesRoundTrip() {
    RagPromptRequest ask = new RagPromptRequest("t", List.of(ChatMessage.user("hi")), "hi", null, true);
    assertEquals(ask, Json.fromJsonObject(Json.toJsonObject(ask), RagPromptRequest.class));
  }
}
